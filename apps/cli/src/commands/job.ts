import type { AdminClient, JobView } from '@dropgate/admin-client';
import type { Command } from 'commander';
import type { Act } from '../action';
import { waitWithProgress } from '../job-progress';
import { emit } from '../output';

/** One line about a job: its state, how far, and what a cancel left (codes written) or why it failed. */
function jobLine(jobId: string, job: JobView): string {
  const inserted = job.result?.inserted;
  const how = job.state === 'cancelled' && typeof inserted === 'number' ? `: ${inserted} codes written before it stopped` : job.error ? `: ${job.error}` : '';
  return `${jobId}: ${job.state}${job.cancelRequested ? ' (cancel asked for)' : ''}, ${job.done} of ${job.total}${how}`;
}

const ENDED = new Set<JobView['state']>(['completed', 'failed', 'cancelled']);

/** Polls a job until it has ended, whichever way. */
async function untilEnded(client: AdminClient, jobId: string, intervalMs = 250): Promise<JobView> {
  for (;;) {
    const job = await client.job(jobId);
    if (ENDED.has(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function registerJob(program: Command, act: Act): void {
  program
    .command('job')
    .description('state and progress of a background job (generate, import)')
    .argument('<jobId>')
    .option('--wait', 'follow it with a progress bar until it ends')
    .action(
      act<{ wait?: boolean }>(async ({ client, out }, [jobId], o) => {
        const job = o.wait ? await waitWithProgress(client, jobId!, `job ${jobId}`, out) : await client.job(jobId!);
        emit(out, { jobId, ...job }, () => [jobLine(jobId!, job)]);
      }),
    );

  program
    .command('cancel')
    .description('cancel a code generation or import job: it stops at its next batch boundary, keeping the codes it wrote (a campaign it was to activate stays a draft)')
    .argument('<jobId>')
    .option('--wait', 'wait until it has stopped, then say how many codes it wrote')
    .action(
      act<{ wait?: boolean }>(async ({ client, out }, [jobId], o) => {
        const asked = await client.cancelJob(jobId!);
        const job = o.wait ? await untilEnded(client, jobId!) : asked;
        emit(out, { jobId, ...job }, () => [o.wait ? jobLine(jobId!, job) : `${jobId}: cancel asked for; it stops at its next batch boundary (dropgate job ${jobId} shows it)`]);
      }),
    );
}
