import { type CpuSnapshot, cmdline, cpuDelta, cpuSnapshot, runQueueWaitDelta, sysDelta } from '../proc-stats';
import { formatTable, round } from '../table';
import { log, pct } from './output';
import type { SystemProcs } from './system-procs';

export interface CpuRow {
  label: string;
  cpuS: number;
  /** Main-thread run-queue wait (starved of CPU), summed over the processes of the row. */
  waitS?: number;
  /** Kernel share of cpuS (system calls). */
  sysS?: number;
}

export interface CpuSplit {
  rows: CpuRow[];
  /** The biggest processes that are not part of the system under test (other users of the machine). */
  others: CpuRow[];
  wallS: number;
  machineBusyS: number;
}

export const isPostgres = (comm: string): boolean => comm === 'postgres' || comm.startsWith('postgres');
/** A PostgreSQL client backend ("postgres: 15/main: user db 127.0.0.1(port) idle"), not a server helper. */
export const isClientBackend = (pid: number): boolean => /\(\d+\)|\[local\]/.test(cmdline(pid));

export function cpuRows(before: CpuSnapshot, after: CpuSnapshot, sp: SystemProcs, backends: Map<number, string>): CpuSplit {
  const wallS = (after.at - before.at) / 1000;
  const rows: CpuRow[] = [];
  const d = (pid: number): number => cpuDelta(before, after, pid);
  const w = (pid: number): number => runQueueWaitDelta(before, after, pid);
  const k = (pid: number): number => sysDelta(before, after, pid);
  const ours = new Set<number>([sp.intake.pid, sp.admin.pid, ...sp.workers.map((x) => x.pid), process.pid, ...sp.redis]);
  for (const p of [sp.intake, sp.admin, ...sp.workers]) rows.push({ label: p.label, cpuS: d(p.pid), waitS: w(p.pid), sysS: k(p.pid) });
  rows.push({ label: 'bench (autocannon + polling)', cpuS: d(process.pid), waitS: w(process.pid), sysS: k(process.pid) });
  const sum = (f: (pid: number) => number, pids: number[]): number => pids.reduce((n, pid) => n + f(pid), 0);
  rows.push({ label: 'redis-server', cpuS: sum(d, sp.redis), waitS: sum(w, sp.redis), sysS: sum(k, sp.redis) });
  // Every postgres process now (backends come and go), split by whom the backend serves.
  const pgByOwner = new Map<string, number>();
  const pgWait = new Map<string, number>();
  const pgSys = new Map<string, number>();
  for (const p of after.procs.values()) {
    if (!isPostgres(p.comm)) continue;
    ours.add(p.pid);
    const owner = backends.get(p.pid);
    const key = owner
      ? `postgres (backends of ${owner.startsWith('worker') ? 'workers' : owner})`
      : isClientBackend(p.pid)
        ? 'postgres (backends of OTHER clients)'
        : 'postgres (server: WAL writer, checkpointer, ...)';
    pgByOwner.set(key, (pgByOwner.get(key) ?? 0) + d(p.pid));
    pgWait.set(key, (pgWait.get(key) ?? 0) + w(p.pid));
    pgSys.set(key, (pgSys.get(key) ?? 0) + k(p.pid));
  }
  for (const [label, cpuS] of [...pgByOwner].sort()) rows.push({ label, cpuS, waitS: pgWait.get(label) ?? 0, sysS: pgSys.get(label) ?? 0 });
  const machineBusyS = after.machine.busyS - before.machine.busyS;
  const known = rows.reduce((n, r) => n + r.cpuS, 0);
  rows.push({ label: 'everything else on the machine', cpuS: Math.max(0, machineBusyS - known) });
  const others = [...after.procs.values()]
    .filter((p) => !ours.has(p.pid))
    .map((p) => ({ label: `${p.pid} ${cmdline(p.pid).slice(0, 70) || p.comm}`, cpuS: d(p.pid) }))
    .filter((r) => r.cpuS >= 0.1)
    .sort((a, b) => b.cpuS - a.cpuS)
    .slice(0, 5);
  return { rows, others, wallS, machineBusyS };
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
    out += '\n' + formatTable(['biggest processes NOT under test (noise; processes that exited meanwhile are only in the residual above)', 'CPU s', '% of 1 core', `% of ${cores} cores`], split.others.map((r) => row(r).slice(0, 4)));
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
