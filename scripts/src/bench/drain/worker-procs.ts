import { spawn, type ChildProcess } from 'node:child_process';
import { appEntry, freePort } from '@dropgate/testkit';
import { procInfo, type ProcInfo } from '../proc-stats';

export interface WorkerProc {
  label: string;
  child: ChildProcess;
  pid: number;
  metricsUrl: string;
}

/**
 * Starts `count` worker processes (the built apps/worker, as `npm start`'s supervisor runs them: one process each,
 * its own metrics port) on `env`. They start taking jobs at once: the backlog is already there.
 */
export async function startWorkers(count: number, env: Record<string, string>): Promise<WorkerProc[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  return ports.map((port, i) => {
    const child = spawn(process.execPath, [appEntry('worker')], { env: { ...env, WORKER_METRICS_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
    if (child.pid === undefined) throw new Error('a worker process could not be started');
    child.on('error', () => undefined);
    return { label: `worker-${i + 1}`, child, pid: child.pid, metricsUrl: `http://127.0.0.1:${port}/metrics` };
  });
}

/** Did a worker exit before we stopped it? (A crash would make the drain look slow or stuck.) */
export function exited(workers: readonly WorkerProc[]): WorkerProc[] {
  return workers.filter((w) => w.child.exitCode !== null || w.child.signalCode !== null);
}

/**
 * Each worker's /proc reading when its internal port first answers: its start-up (loading modules, connecting), done
 * before it takes any job (the worker binds that port before it makes its BullMQ Worker). Polled every 20 ms; a
 * worker that does not answer within `timeoutMs` is left out (its start-up then counts as drain CPU).
 */
export async function startupCpu(workers: readonly WorkerProc[], timeoutMs = 30_000): Promise<Map<number, ProcInfo>> {
  const ready = new Map<number, ProcInfo>();
  const deadline = performance.now() + timeoutMs;
  await Promise.all(
    workers.map(async (w) => {
      const url = new URL('/healthz', w.metricsUrl);
      while (performance.now() < deadline && w.child.exitCode === null) {
        const ok = await fetch(url).then((r) => r.ok, () => false);
        const info = ok ? procInfo(w.pid) : undefined;
        if (info) return void ready.set(w.pid, info);
        await new Promise((r) => setTimeout(r, 20));
      }
    }),
  );
  return ready;
}
