import { type CpuSnapshot, cpuDelta, runQueueWaitDelta, sysDelta } from '../proc-stats';
import { type CpuRow, type CpuSplit, isClientBackend, isPostgres } from '../pipeline/cpu-split';

export interface Labelled {
  label: string;
  pid: number;
}

/**
 * CPU of every process between two snapshots, split as the drain sees it: each worker, this bench, Redis, and the
 * PostgreSQL processes by whom they serve (backend pid → owner label, from `backendOwners`), then the rest of the
 * machine (other users: noise).
 */
export function drainCpuRows(before: CpuSnapshot, after: CpuSnapshot, procs: readonly Labelled[], redis: readonly number[], backends: Map<number, string>): CpuSplit {
  const d = (pid: number): number => cpuDelta(before, after, pid);
  const w = (pid: number): number => runQueueWaitDelta(before, after, pid);
  const k = (pid: number): number => sysDelta(before, after, pid);
  const row = (label: string, pids: readonly number[]): CpuRow => ({
    label,
    cpuS: pids.reduce((n, p) => n + d(p), 0),
    waitS: pids.reduce((n, p) => n + w(p), 0),
    sysS: pids.reduce((n, p) => n + k(p), 0),
  });
  const rows: CpuRow[] = procs.map((p) => row(p.label, [p.pid]));
  rows.push(row('redis-server', redis));
  const ours = new Set<number>([...procs.map((p) => p.pid), ...redis]);
  const pgGroups = new Map<string, number[]>();
  for (const p of after.procs.values()) {
    if (!isPostgres(p.comm)) continue;
    ours.add(p.pid);
    const owner = backends.get(p.pid);
    const key = owner
      ? `postgres (backends of ${owner.startsWith('worker') ? 'workers' : owner})`
      : isClientBackend(p.pid)
        ? 'postgres (backends of OTHER clients)'
        : 'postgres (server: WAL writer, checkpointer, ...)';
    pgGroups.set(key, [...(pgGroups.get(key) ?? []), p.pid]);
  }
  for (const [label, pids] of [...pgGroups].sort()) rows.push(row(label, pids));
  const machineBusyS = after.machine.busyS - before.machine.busyS;
  const known = rows.reduce((n, r) => n + r.cpuS, 0);
  rows.push({ label: 'everything else on the machine', cpuS: Math.max(0, machineBusyS - known) });
  const others = [...after.procs.values()]
    .filter((p) => !ours.has(p.pid))
    .map((p) => ({ label: `${p.pid} ${p.comm}`, cpuS: d(p.pid) }))
    .filter((r) => r.cpuS >= 0.1)
    .sort((a, b) => b.cpuS - a.cpuS)
    .slice(0, 5);
  return { rows, others, wallS: (after.at - before.at) / 1000, machineBusyS };
}

/** CPU seconds of the rows whose label matches. */
export const cpuOf = (split: CpuSplit, match: (label: string) => boolean): number => split.rows.filter((r) => match(r.label)).reduce((n, r) => n + r.cpuS, 0);
