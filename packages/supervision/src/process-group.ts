import type { ChildProcess } from 'node:child_process';
import { MAX_QUICK_RESTARTS, nextRestart } from './restart-rule';
import { EXIT_NOT_RESTARTABLE } from './startup-failure';

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
 * request: SIGTERM first, SIGKILL after the deadline. `onGiveUp` is called with the child's exit code when it died
 * young too often, or at once when it exited with EXIT_NOT_RESTARTABLE (it said a restart cannot help).
 */
export class ProcessGroup {
  private readonly running = new Map<string, Running>();
  /** Pending restarts. Not unref'd: while every child is down awaiting one, they are what keeps the parent alive. */
  private readonly restarts = new Set<NodeJS.Timeout>();
  private stopping = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly onGiveUp: (name: string, exitCode: number | null) => void,
    private readonly backoffBaseMs = 500,
  ) {}

  start(spec: ChildSpec, previousRestarts = 0): void {
    const startedAt = Date.now();
    const child = spec.launch();
    this.running.set(spec.name, { spec, child });
    this.log(`${spec.name} started (pid ${child.pid ?? '?'})`);
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (code === EXIT_NOT_RESTARTABLE) {
        this.log(`${spec.name} cannot start (exit ${code}: a restart would fail the same way; its message is above); not restarting`);
        this.onGiveUp(spec.name, code);
        return;
      }
      const next = nextRestart(previousRestarts, Date.now() - startedAt, this.backoffBaseMs);
      if (next.giveUp) {
        this.log(`${spec.name} exited (${signal ?? code}) ${next.exitsInARow} times in a row shortly after starting; giving up`);
        this.onGiveUp(spec.name, code);
        return;
      }
      this.log(`${spec.name} exited (${signal ?? code}); restarting in ${next.delayMs} ms`);
      const timer = setTimeout(() => {
        this.restarts.delete(timer);
        if (!this.stopping) this.start(spec, next.restarts);
      }, next.delayMs);
      this.restarts.add(timer);
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
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
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
