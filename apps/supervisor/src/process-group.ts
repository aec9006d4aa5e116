import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildSpec {
  name: string;
  script: string;
  env: NodeJS.ProcessEnv;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess;
  restarts: number;
}

/** A child that ran at least this long before dying is restarted as if for the first time. */
const STABLE_AFTER_MS = 30_000;
/** A child that keeps dying young (bad configuration, port taken) is not restarted forever. */
export const MAX_QUICK_RESTARTS = 5;

/**
 * Runs a set of node processes, restarts one that dies (with backoff), and stops them all on request:
 * SIGTERM first, SIGKILL after the deadline. Each child gets an IPC channel and stops when it closes, so none
 * outlives this process. `onGiveUp` is called when a child died young too often.
 */
export class ProcessGroup {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly onGiveUp: (name: string) => void,
    private readonly backoffBaseMs = 500,
  ) {}

  start(spec: ChildSpec, previousRestarts = 0): void {
    const startedAt = Date.now();
    // The IPC channel is how a child notices this process is gone, even SIGKILLed (see installSignalHandlers).
    const child = spawn(process.execPath, [spec.script], { env: spec.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.running.set(spec.name, { spec, child, restarts: previousRestarts });
    this.log(`${spec.name} started (pid ${child.pid ?? '?'})`);
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const restarts = Date.now() - startedAt >= STABLE_AFTER_MS ? 0 : previousRestarts;
      if (restarts >= MAX_QUICK_RESTARTS) {
        this.log(`${spec.name} exited (${signal ?? code}) ${restarts + 1} times in a row shortly after starting; giving up`);
        this.onGiveUp(spec.name);
        return;
      }
      const delay = Math.min(30_000, this.backoffBaseMs * 2 ** restarts);
      this.log(`${spec.name} exited (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, restarts + 1);
      }, delay).unref();
    });
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.running].map(([name, r]) => [name, r.child.pid]));
  }

  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const alive = [...this.running.values()].filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    const exits = alive.map((r) => new Promise<void>((resolve) => r.child.once('exit', () => resolve())));
    for (const r of alive) r.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const r of alive) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    }, timeoutMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}
