import { type Hist, type Sample, histMean, histQuantile, histogramOf, scrape, sumOf } from '@dropgate/testkit';
import { round } from '../table';
import type { SystemProcs } from './system-procs';

export interface MetricsSnapshot {
  intake: Sample[];
  workers: Sample[][];
}

export async function metricsSnapshot(sp: SystemProcs): Promise<MetricsSnapshot> {
  const [intake, ...workers] = await Promise.all([scrape(sp.intake.metricsUrl!), ...sp.workers.map((w) => (w.metricsUrl ? scrape(w.metricsUrl) : Promise.resolve([])))]);
  return { intake, workers };
}

export const intakeEnqueued = (intake: Sample[]): number => sumOf(intake, 'dropgate_intake_enqueued_total');
export const claimLatency = (intake: Sample[]): Hist => histogramOf(intake, 'dropgate_intake_request_duration_seconds', { route: '/v1/claims' });
export const jobDuration = (worker: Sample[]): Hist => histogramOf(worker, 'dropgate_worker_job_duration_seconds');
/** Attempts per batched store call (the batches that did not fall back). */
export const storeBatchSize = (worker: Sample[]): Hist => histogramOf(worker, 'dropgate_worker_store_batch_size', { fell_back: 'false' });

export function histRow(label: string, h: Hist): Array<string | number> {
  return [label, h.count, round(histMean(h) * 1000, 2), round(histQuantile(h, 0.5) * 1000, 2), round(histQuantile(h, 0.99) * 1000, 2)];
}
