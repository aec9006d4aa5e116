import { type CpuSnapshot, cmdline, cpuDelta, runQueueWaitDelta, sysDelta } from './proc-stats';

/**
 * CPU between two /proc snapshots, split into rows by who used it: the benchmark's own process groups, Redis, the
 * PostgreSQL processes by whom they serve, and the rest of the machine (other users: noise). Shared by every bench
 * that prints "where the CPU went" (bench:pipeline, bench:drain).
 */

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

/** One row: a label and its processes (several for e.g. an intake cluster). */
export interface ProcGroup {
  label: string;
  pids: readonly number[];
}

export const isPostgres = (comm: string): boolean => comm === 'postgres' || comm.startsWith('postgres');
/** A PostgreSQL client backend ("postgres: 15/main: user db 127.0.0.1(port) idle"), not a server helper. */
export const isClientBackend = (pid: number): boolean => /\(\d+\)|\[local\]/.test(cmdline(pid));

/** The row of one postgres process: the backends of a client (every worker together), of others, or the server's own. */
function postgresRowOf(pid: number, backends: Map<number, string>): string {
  const owner = backends.get(pid);
  if (owner) return `postgres (backends of ${owner.startsWith('worker') ? 'workers' : owner})`;
  return isClientBackend(pid) ? 'postgres (backends of OTHER clients)' : 'postgres (server: WAL writer, checkpointer, ...)';
}

/**
 * `groups`: our processes, one row each; `redis`: the redis-server pids; `backends`: PostgreSQL backend pid → owner
 * label (`backendOwners`). Every postgres process in `after` counts: pass a `ProcTally`'s end (cpu-sampler.ts) for the
 * backends that exited during the window to be there.
 */
export function splitCpu(before: CpuSnapshot, after: CpuSnapshot, groups: readonly ProcGroup[], redis: readonly number[], backends: Map<number, string>): CpuSplit {
  const d = (pid: number): number => cpuDelta(before, after, pid);
  const row = (label: string, pids: readonly number[]): CpuRow => ({
    label,
    cpuS: pids.reduce((n, p) => n + d(p), 0),
    waitS: pids.reduce((n, p) => n + runQueueWaitDelta(before, after, p), 0),
    sysS: pids.reduce((n, p) => n + sysDelta(before, after, p), 0),
  });
  const rows: CpuRow[] = groups.map((g) => row(g.label, g.pids));
  rows.push(row('redis-server', redis));
  const ours = new Set<number>([...groups.flatMap((g) => g.pids), ...redis]);
  const pgRows = new Map<string, number[]>();
  for (const p of after.procs.values()) {
    if (!isPostgres(p.comm)) continue;
    ours.add(p.pid);
    const label = postgresRowOf(p.pid, backends);
    pgRows.set(label, [...(pgRows.get(label) ?? []), p.pid]);
  }
  for (const [label, pids] of [...pgRows].sort()) rows.push(row(label, pids));
  const machineBusyS = after.machine.busyS - before.machine.busyS;
  const known = rows.reduce((n, r) => n + r.cpuS, 0);
  rows.push({ label: 'everything else on the machine', cpuS: Math.max(0, machineBusyS - known) });
  const others = [...after.procs.values()]
    .filter((p) => !ours.has(p.pid))
    .map((p) => ({ label: `${p.pid} ${cmdline(p.pid).slice(0, 70) || p.comm}`, cpuS: d(p.pid) }))
    .filter((r) => r.cpuS >= 0.1)
    .sort((a, b) => b.cpuS - a.cpuS)
    .slice(0, 5);
  return { rows, others, wallS: (after.at - before.at) / 1000, machineBusyS };
}

/** CPU seconds of the rows whose label matches. */
export const cpuOf = (split: CpuSplit, match: (label: string) => boolean): number => split.rows.filter((r) => match(r.label)).reduce((n, r) => n + r.cpuS, 0);
