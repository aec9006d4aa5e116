import type { Command } from 'commander';
import type { Act } from '../action';
import { waitWithProgress } from '../job-progress';
import { emit } from '../output';

export function registerJob(program: Command, act: Act): void {
  program
    .command('job')
    .description('state and progress of a background job (generate, import)')
    .argument('<jobId>')
    .option('--wait', 'follow it with a progress bar until it ends')
    .action(
      act<{ wait?: boolean }>(async ({ client, out }, [jobId], o) => {
        const job = o.wait ? await waitWithProgress(client, jobId!, `job ${jobId}`, out) : await client.job(jobId!);
        emit(out, { jobId, ...job }, () => [`${jobId}: ${job.state}, ${job.done} of ${job.total}${job.error ? `: ${job.error}` : ''}`]);
      }),
    );
}
