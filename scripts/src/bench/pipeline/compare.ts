import { formatTable, round } from '../table';
import { flags } from './flags';
import { log } from './output';
import type { Summary } from './report';
import { runBench } from './run-bench';
import { OPTIMISED, baselineFor } from './setups';
import { measureBareReference, type BareReference } from './bare-reference';

/** The summary with the bare reference and its p99 read against it (p99 / the reference's p99). */
function withBare(summary: Summary, bare: BareReference | undefined): Summary {
  if (!bare) return summary;
  log(`p99 ${summary.p99Ms} ms against the bare Express reference's ${bare.p99Ms} ms (same connections, same machine): ${round(summary.p99Ms / bare.p99Ms, 2)}x`);
  return { ...summary, bareReference: bare, p99VsBare: round(summary.p99Ms / bare.p99Ms, 2) };
}

export const COMPARED = ['acceptedPerSec', 'p50Ms', 'p99Ms', 'processedPerSec', 'processedPerSecLoadWindow', 'intakeHandlerMeanMs', 'workerJobMeanMs'] as const;

export function cpuPerAttempt(s: Summary, label: string): number {
  return (s.cpuMsPerAttemptLoad as Record<string, number> | undefined)?.[label] ?? NaN;
}

export async function compareOrRun(): Promise<void> {
  if (flags.compare === 'none') {
    const { result, bare } = await measureBareReference(() => runBench(OPTIMISED));
    // Last, after every child has exited: nothing can print after it.
    log('');
    log(JSON.stringify(withBare(result, bare)));
    return;
  }
  // The same load twice in one run, on fresh processes each time: the ratio is the figure (the machine is noisy).
  const baselineSetup = baselineFor(flags.compare);
  const { result, bare } = await measureBareReference(async () => {
    const first = await runBench(baselineSetup);
    log('');
    return { baseline: first, measured: await runBench(OPTIMISED) };
  });
  const baseline = result.baseline;
  const optimised = withBare(result.measured, bare);
  const ratio = (a: number, b: number): number => round(b / a, 2);
  const cpuLabels = ['intake', 'worker-1', 'worker-2', 'redis-server', 'postgres (backends of workers)', 'bench (autocannon + polling)'];
  log('');
  log(`=== side by side (--compare ${flags.compare}; same load, one run) ===`);
  log(
    formatTable(
      ['figure', baselineSetup.label, OPTIMISED.label, 'optimised / baseline'],
      [
        ...COMPARED.map((k) => [k, Number(baseline[k]), Number(optimised[k]), ratio(Number(baseline[k]), Number(optimised[k]))]),
        ...cpuLabels.map((l) => [`CPU ms/attempt: ${l}`, cpuPerAttempt(baseline, l), cpuPerAttempt(optimised, l), ratio(cpuPerAttempt(baseline, l), cpuPerAttempt(optimised, l))]),
        ['doubleAssigned', baseline.doubleAssigned, optimised.doubleAssigned, ''],
        ['lost', baseline.lost, optimised.lost, ''],
      ],
    ),
  );
  const ratios = Object.fromEntries(COMPARED.map((k) => [k, ratio(Number(baseline[k]), Number(optimised[k]))]));
  log('');
  log(
    JSON.stringify({
      ...optimised,
      compare: flags.compare,
      ratios,
      baseline,
    }),
  );
}
