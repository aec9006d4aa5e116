import type { AdminClient, JobView } from '@dropgate/admin-client';
import { SingleBar, Presets } from 'cli-progress';
import type { Output } from './output';

/**
 * Waits for a background job, drawing a progress bar on stderr from `GET /admin/v1/jobs/:id` (done/total); on a
 * terminal that is not a TTY (CI logs) cli-progress writes a line every few seconds instead.
 */
export async function waitWithProgress(client: AdminClient, jobId: string, label: string, out: Output): Promise<JobView> {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {state}`,
      stream: out.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let started = false;
  try {
    return await client.waitForJob(jobId, (job) => {
      const total = Math.max(job.total, 1);
      if (!started) {
        bar.start(total, job.done, { state: job.state });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(job.done, { state: job.state });
      }
    });
  } finally {
    if (started) bar.stop();
  }
}
