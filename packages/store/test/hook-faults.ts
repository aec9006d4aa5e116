import { InjectedFault, type FaultHook, type FaultStep } from '../src/faults';
import type { FaultControl, Stall } from './harness';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface FailPlan {
  action: 'fail';
  step: FaultStep;
  key: string;
}

interface StallPlan {
  action: 'stall';
  step: FaultStep;
  key: string;
  taken: boolean;
  reached: Deferred<void>;
  released: Deferred<'continue' | 'fail'>;
}

/**
 * Faults injected through the adapters' `FaultHook` (in the process, at the adapter's own calls): all of MongoDB's
 * steps, and the steps PostgreSQL takes in Node (commit, publish). `hook` goes into the stores' options.
 */
export class HookFaults implements FaultControl {
  private plans: Array<FailPlan | StallPlan> = [];
  private retries = 0;
  private readonly retryWaiters = new Set<() => void>();

  readonly hook: FaultHook = {
    at: (step, key) => this.reach(step, key),
    retried: () => {
      this.retries++;
      for (const wake of this.retryWaiters) wake();
    },
  };

  fail(step: FaultStep, key: string): Promise<void> {
    this.plans.push({ action: 'fail', step, key });
    return Promise.resolve();
  }

  stall(step: FaultStep, key: string): Promise<Stall> {
    const plan: StallPlan = { action: 'stall', step, key, taken: false, reached: deferred(), released: deferred() };
    this.plans.push(plan);
    return Promise.resolve({
      reached: plan.reached.promise,
      release: (then) => {
        plan.released.resolve(then);
        return Promise.resolve();
      },
    });
  }

  /** Resolves at the next transaction retry the adapter reports (see FaultHook.retried); rejects after 10 s or on abort. */
  waitingOnOthers(signal?: AbortSignal): Promise<void> {
    const seen = this.retries;
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        this.retryWaiters.delete(wake);
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        if (err) reject(err);
        else resolve();
      };
      const wake = (): void => {
        if (this.retries !== seen) done();
      };
      const abort = (): void => done(new Error('aborted'));
      const timer = setTimeout(() => done(new Error('no operation waited on another one within 10 s')), 10_000);
      signal?.addEventListener('abort', abort, { once: true });
      this.retryWaiters.add(wake);
    });
  }

  clear(): Promise<void> {
    for (const plan of this.plans) if (plan.action === 'stall') plan.released.resolve('continue');
    this.plans = [];
    return Promise.resolve();
  }

  private async reach(step: FaultStep, key: string): Promise<void> {
    const plan = this.plans.find((p) => p.step === step && p.key === key && !(p.action === 'stall' && p.taken));
    if (!plan) return;
    if (plan.action === 'fail') throw new InjectedFault(step, key);
    plan.taken = true;
    plan.reached.resolve();
    if ((await plan.released.promise) === 'fail') throw new InjectedFault(step, key);
  }
}
