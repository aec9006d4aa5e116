import { startBareExpress } from '../bare-express';
import { cannon } from '../cannon';
import { round } from '../table';
import { flags } from './flags';
import { log } from './output';
import { TIER } from './setups';

export interface BareReference {
  /** Mean of the runs before and after the pipeline's (the machine drifts: the gap between them shows how much). */
  rps: number;
  p99Ms: number;
  before: { rps: number; p99Ms: number };
  after: { rps: number; p99Ms: number };
  durationS: number;
}

/**
 * The floor of this machine and load generator: bare Express (as many processes as the intake's INTAKE_PROCESSES)
 * answering every POST /v1/claims with 202 and doing nothing else, under the same closed-loop load (same connections, same request shape), measured on its own
 * before and after the pipeline's run. The pipeline's p99 is read against it: no server here answers faster.
 */
export async function measureBareReference<T>(run: () => Promise<T>): Promise<{ result: T; bare: BareReference | undefined }> {
  const durationS = flags['bare-s'];
  if (durationS <= 0) return { result: await run(), bare: undefined };
  const bare = await startBareExpress(flags['intake-processes']);
  let seq = 0;
  const once = async (label: string): Promise<{ rps: number; p99Ms: number }> => {
    const r = await cannon({
      url: bare.url,
      connections: flags.connections,
      durationS,
      request: () => ({ method: 'POST', path: '/v1/claims', headers: { 'content-type': 'application/json' }, body: `{"campaignId":"bare","tier":"${TIER}","customerId":"bare-${seq++}"}` }),
      progressEveryS: 0,
    });
    log(`bare express reference (${label}): ${flags.connections} connections for ${durationS} s: ${r.rps} req/s, p99 ${r.p99Ms} ms`);
    return { rps: r.rps, p99Ms: r.p99Ms };
  };
  try {
    const before = await once('before');
    const result = await run();
    const after = await once('after');
    return { result, bare: { rps: Math.round((before.rps + after.rps) / 2), p99Ms: round((before.p99Ms + after.p99Ms) / 2, 1), before, after, durationS } };
  } finally {
    await bare.stop();
  }
}
