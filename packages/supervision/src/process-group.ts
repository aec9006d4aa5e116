import type { ChildProcess } from 'node:child_process';
import { MAX_QUICK_RESTARTS, nextRestart } from './restart-rule';

export { MAX_QUICK_RESTARTS };

export interface ChildSpec {
  name: string;
  /**
   * Starts the process (again, after a crash): `child_process.spawn` for the supervisor's apps, `cluster.fork().process`
   * for the intake's workers. Give it an IPC channel so it notices when this process is gone.
   */
  launch: () => ChildProcess;
}

interface Running {
  spec: ChildSpec;
  child: ChildProcess;
}

/**
 * Runs a set of node processes, restarts one that dies (the shared rule, `nextRestart`), and stops them all on
 * request: SIGTERM first, SIGKILL after the deadline. `onGiveUp` is called when a child died young too often.
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
    const child = spec.launch();
    this.running.set(spec.name, { spec, child });
    this.log(`${spec.name} started (pid ${child.pid ?? '?'})`);
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      const next = nextRestart(previousRestarts, Date.now() - startedAt, this.backoffBaseMs);
      if (next.giveUp) {
        this.log(`${spec.name} exited (${signal ?? code}) ${next.exitsInARow} times in a row shortly after starting; giving up`);
        this.onGiveUp(spec.name);
        return;
      }
      this.log(`${spec.name} exited (${signal ?? code}); restarting in ${next.delayMs} ms`);
      setTimeout(() => {
        if (!this.stopping) this.start(spec, next.restarts);
      }, next.delayMs).unref();
    });
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.running].map(([name, r]) => [name, r.child.pid]));
  }

  /** Children running now (not exited). */
  alive(): number {
    return [...this.running.values()].filter((r) => r.child.exitCode === null && r.child.signalCode === null).length;
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
