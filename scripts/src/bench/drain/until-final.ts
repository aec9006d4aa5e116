import type { Client } from 'pg';
import type { AttemptQueue } from '@dropgate/queue';
import { formatNumber } from '../table';
import { log, seconds } from '../pipeline/output';
import { exited, type WorkerProc } from './worker-procs';

export interface DrainProgress {
  done: boolean;
  /** Attempts with a recorded outcome in the store. */
  recorded: number;
  /** Jobs that used up their tries (final, but with no recorded outcome). */
  failed: number;
  finishedAt: number;
}

const recordedOutcomes = async (db: Client): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM attempts WHERE outcome IS NOT NULL')).rows[0]?.n ?? 0);

/**
 * Waits until every attempt is final. The queue is polled often (a few ZCARD/LLEN: cheap, so the bench does not
 * steal the CPU it measures) for jobs not yet finished; once none is left, the DATABASE must confirm: recorded
 * outcomes + jobs failed for good = every attempt. Fails at once if a worker process dies. Progress every 2 s from
 * the database.
 */
export async function untilFinal(db: Client, queue: AttemptQueue, total: number, workers: readonly WorkerProc[], startedAt: number, timeoutMs: number): Promise<DrainProgress> {
  let lastLog = startedAt;
  let lastRecorded = 0;
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
    const unfinished = Object.values(counts).reduce((n, v) => n + v, 0);
    const now = performance.now();
    if (unfinished === 0) {
      const [recorded, failed] = await Promise.all([recordedOutcomes(db), queue.getFailedCount()]);
      if (recorded + failed >= total) return { done: true, recorded, failed, finishedAt: now };
    }
    const dead = exited(workers);
    if (dead.length > 0) throw new Error(`${dead.map((w) => `${w.label} (pid ${w.pid})`).join(', ')} exited during the drain`);
    if (now - lastLog >= 2_000 || now - startedAt > timeoutMs) {
      const [recorded, failed] = await Promise.all([recordedOutcomes(db), queue.getFailedCount()]);
      if (now - startedAt > timeoutMs) {
        log(`  drain: TIMED OUT after ${seconds(now - startedAt)}: ${formatNumber(recorded)} recorded, ${formatNumber(failed)} failed of ${formatNumber(total)}`);
        return { done: false, recorded, failed, finishedAt: now };
      }
      const rate = (recorded - lastRecorded) / ((now - lastLog) / 1000);
      log(`  drain: ${formatNumber(recorded)} / ${formatNumber(total)} recorded after ${seconds(now - startedAt)}, ${formatNumber(Math.round(rate))}/s now; ${formatNumber(unfinished)} jobs unfinished` + (failed > 0 ? `, ${failed} failed` : ''));
      lastLog = now;
      lastRecorded = recorded;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
