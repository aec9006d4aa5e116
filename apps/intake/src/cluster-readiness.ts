import cluster, { type Worker } from 'node:cluster';

/** Readiness over the cluster's IPC channel: the primary asks, each worker answers with its own check (Redis ping). */
const ASK = 'dropgate:readyz?';
const ANSWER = 'dropgate:readyz!';

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  ready: boolean;
}

const isMessage = <T extends { type: string }>(type: T['type'], msg: unknown): msg is T =>
  typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type;

/** In a worker: answer the primary's readiness questions with `ready()` (resolves = ready). */
export function answerReadiness(ready: () => Promise<void>): void {
  process.on('message', (msg: unknown) => {
    if (!isMessage<Ask>(ASK, msg)) return;
    const reply = (isReady: boolean): void => {
      if (process.connected) process.send?.({ type: ANSWER, id: msg.id, ready: isReady } satisfies Answer);
    };
    ready().then(
      () => reply(true),
      () => reply(false),
    );
  });
}

/**
 * In the primary: ready when at least one worker is serving and every serving worker answers ready within
 * `timeoutMs`. A worker still starting (or being restarted) is not asked: the cluster sends it no connection yet.
 */
export function clusterReadiness(timeoutMs = 2000): () => Promise<void> {
  const serving = new Set<Worker>();
  cluster.on('listening', (worker) => serving.add(worker));
  cluster.on('exit', (worker) => serving.delete(worker));
  let nextId = 0;

  const ask = (worker: Worker): Promise<boolean> =>
    new Promise((resolve) => {
      const id = nextId++;
      const done = (ready: boolean): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(ready);
      };
      const onMessage = (msg: unknown): void => {
        if (isMessage<Answer>(ANSWER, msg) && msg.id === id) done(msg.ready);
      };
      const onExit = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.send({ type: ASK, id } satisfies Ask);
    });

  return async () => {
    const workers = [...serving].filter((w) => w.isConnected());
    if (workers.length === 0) throw new Error('no intake worker is serving');
    const answers = await Promise.all(workers.map(ask));
    const notReady = workers.filter((_, i) => !answers[i]).map((w) => w.process.pid);
    if (notReady.length > 0) throw new Error(`intake worker${notReady.length === 1 ? '' : 's'} ${notReady.join(', ')} not ready`);
  };
}
