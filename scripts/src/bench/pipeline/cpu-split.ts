import { type CpuRow, type CpuSplit, splitCpu } from '../cpu-groups';
import { cpuSnapshot, type CpuSnapshot } from '../proc-stats';
import { formatTable, round } from '../table';
import { log, pct } from './output';
import type { SystemProcs } from './system-procs';

/** The pipeline's split: intake (every process of its cluster), admin, each worker, this bench, Redis, PostgreSQL. */
export function cpuRows(before: CpuSnapshot, after: CpuSnapshot, sp: SystemProcs, backends: Map<number, string>): CpuSplit {
  const groups = [sp.intake, sp.admin, ...sp.workers].map((p) => ({ label: p.label, pids: p.pids ?? [p.pid] }));
  groups.push({ label: 'bench (autocannon + polling)', pids: [process.pid] });
  return splitCpu(before, after, groups, sp.redis, backends);
}

/** `perAttempts`: attempts handled in the window, for a CPU-ms-per-attempt column. */
export function cpuTable(title: string, split: CpuSplit, cores: number, perAttempts?: number): string {
  const cap = split.wallS * cores;
  const perAttempt = (cpuS: number): string => (perAttempts ? round((cpuS * 1000) / perAttempts, 3).toFixed(3) : '');
  const row = (r: CpuRow): Array<string | number> => [
    r.label,
    round(r.cpuS, 2),
    pct((r.cpuS / split.wallS) * 100),
    pct((r.cpuS / cap) * 100),
    ...(perAttempts ? [perAttempt(r.cpuS)] : []),
    r.sysS === undefined || r.cpuS < 0.05 ? '' : pct((r.sysS / r.cpuS) * 100),
    r.waitS === undefined ? '' : round(r.waitS, 2),
  ];
  const lines = split.rows
    .filter((r) => r.cpuS > 0.005)
    .sort((a, b) => b.cpuS - a.cpuS)
    .map(row);
  const ourCpu = split.rows.filter((r) => r.label !== 'everything else on the machine' && !r.label.includes('OTHER clients')).reduce((n, r) => n + r.cpuS, 0);
  lines.push(['= system under test + bench', round(ourCpu, 2), pct((ourCpu / split.wallS) * 100), pct((ourCpu / cap) * 100), ...(perAttempts ? [perAttempt(ourCpu)] : []), '', '']);
  lines.push(['TOTAL busy (machine, /proc/stat)', round(split.machineBusyS, 2), pct((split.machineBusyS / split.wallS) * 100), pct((split.machineBusyS / cap) * 100), ...(perAttempts ? [''] : []), '', '']);
  const header = ['process', 'CPU s', '% of 1 core', `% of ${cores} cores`, ...(perAttempts ? ['CPU ms/attempt'] : []), 'in kernel', 'run-queue wait s'];
  let out = `${title} (${split.wallS.toFixed(1)} s wall, ${cores} cores = ${cap.toFixed(1)} CPU-s available)\n` + formatTable(header, lines);
  out += '\n(in kernel: share of the CPU spent in system calls — socket I/O on loopback; run-queue wait: seconds the main thread was runnable';
  out += '\n but got no CPU — for Node, the event loop starved by the other processes; summed over processes)';
  if (split.others.length > 0)
    out += '\n' + formatTable(['biggest processes NOT under test (noise; those that exited meanwhile at their last reading)', 'CPU s', '% of 1 core', `% of ${cores} cores`], split.others.map((r) => row(r).slice(0, 4)));
  return out;
}

/** Waits (up to `maxS`) for the machine to be mostly idle for 5 s in a row; returns the busy share seen last. */
export async function waitQuiet(maxS: number, cores: number): Promise<number> {
  const deadline = performance.now() + maxS * 1000;
  let quietFor = 0;
  let lastBusy: number;
  let reported = 0;
  for (;;) {
    const a = cpuSnapshot().machine;
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuSnapshot().machine;
    lastBusy = (b.busyS - a.busyS) / Math.max(1e-9, b.totalS - a.totalS);
    quietFor = lastBusy < 0.15 ? quietFor + 1 : 0;
    if (quietFor >= 5 || performance.now() > deadline) return lastBusy;
    if (performance.now() - reported > 15_000) {
      reported = performance.now();
      log(`  machine ${pct(lastBusy * 100)} busy (${cores} cores): waiting for it to quieten (up to ${maxS} s, --quiet-wait)...`);
    }
  }
}
