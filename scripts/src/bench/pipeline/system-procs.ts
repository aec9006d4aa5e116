import { Client } from 'pg';
import { type RunningSystem, waitFor } from '@dropgate/testkit';
import { allProcs, childProcs, clientPortsTo, cmdline, environ } from '../proc-stats';

const INTAKE_SCRIPT = 'apps/intake/dist/main.js';

export interface Proc {
  label: string;
  pid: number;
  /** Every process it runs as, when more than `pid` (the intake's cluster: the primary and its workers). */
  pids?: number[];
  metricsUrl?: string;
}

export interface SystemProcs {
  intake: Proc;
  admin: Proc;
  workers: Proc[];
  redis: number[];
  postgres: number[];
}

/**
 * Finds our children by script (the harness only exposes the workers), the intake's cluster workers, and the
 * Redis/PostgreSQL servers. Wait for the intake's processes first (`intakeProcessesUp`).
 */
export function discoverProcesses(sys: RunningSystem): SystemProcs {
  const procs = allProcs();
  const byApp = (app: string): Proc => {
    const [p] = childProcs(process.pid, `apps/${app}/dist/main.js`);
    if (!p) throw new Error(`cannot find the ${app} process among the children of ${process.pid}`);
    return { label: app, pid: p.pid };
  };
  const workers = sys.workers.map((w, i) => {
    const port = environ(w.pid!).WORKER_METRICS_PORT;
    return { label: `worker-${i + 1}`, pid: w.pid!, ...(port ? { metricsUrl: `http://127.0.0.1:${port}/metrics` } : {}) };
  });
  const intake = byApp('intake');
  // With INTAKE_PROCESSES > 1 the intake is a cluster: its primary's children run the same script.
  const intakeWorkers = childProcs(intake.pid, INTAKE_SCRIPT).map((p) => p.pid);
  return {
    intake: { ...intake, pids: [intake.pid, ...intakeWorkers], metricsUrl: `${sys.intakeInternalUrl}/metrics` },
    admin: { ...byApp('admin'), metricsUrl: `${sys.adminUrl}/metrics` },
    workers,
    redis: redisServers(procs, Number(new URL(sys.env.REDIS_URL!).port || 6379)),
    postgres: procs.filter((p) => p.comm === 'postgres' || p.comm.startsWith('postgres')).map((p) => p.pid),
  };
}

/** The redis-server serving our port (other redis-servers on the machine, e.g. private test ones, are noise). */
export function redisServers(procs: ReturnType<typeof allProcs>, port: number): number[] {
  const all = procs.filter((p) => p.comm === 'redis-server');
  const onPort = all.filter((p) => cmdline(p.pid).includes(`:${port}`));
  return (onPort.length > 0 ? onPort : all).map((p) => p.pid);
}

/** PostgreSQL backend pid → which of our processes it serves (by the client's TCP port). */
export async function backendOwners(db: Client, owners: Proc[], pgPort: number): Promise<Map<number, string>> {
  const portOwner = new Map<number, string>();
  for (const o of owners) for (const pid of o.pids ?? [o.pid]) for (const port of clientPortsTo(pid, pgPort)) portOwner.set(port, o.label);
  const { rows } = await db.query<{ pid: number; client_port: number }>(
    'SELECT pid, client_port FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
    [[...portOwner.keys()]],
  );
  return new Map(rows.map((r) => [r.pid, portOwner.get(r.client_port)!]));
}

/** Waits until the intake runs as `processes` processes (a cluster primary with that many workers; 1 = no cluster). */
export async function intakeProcessesUp(sys: RunningSystem, processes: number): Promise<void> {
  if (processes <= 1) return;
  const primary = sys.intake.pid!;
  await waitFor(`${processes} intake processes`, () => {
    const workers = childProcs(primary, INTAKE_SCRIPT);
    return workers.length >= processes ? true : undefined;
  }, 30_000, 100);
}
