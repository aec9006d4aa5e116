import { AdminJobCancelledError, type AdminClient, type JobView } from '@dropgate/admin-client';
import { describeError, h } from './dom';

/** What a bar shows: a job's state (or the upload before it), how far it is, in what. */
export interface Progress {
  state: JobView['state'] | 'uploading';
  done: number;
  total: number;
  cancelRequested?: true | undefined;
}

/**
 * A progress bar following a background job (generation, import), with a button that cancels it while it runs: the
 * job stops at its next batch boundary, keeping what it wrote.
 */
export class JobFollower {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly text = h('span', { class: 'muted' });
  private readonly cancel: HTMLButtonElement;
  private jobId: string | undefined;
  private unit = 'codes';

  constructor(
    private readonly client: AdminClient,
    /** Names the bar (`<label> progress`) and the button (`Cancel <label>`). */
    label: string,
  ) {
    this.bar = h('progress', { max: 1, value: 0, 'aria-label': `${label} progress` });
    this.cancel = h('button', { type: 'button', class: 'danger hidden', text: `Cancel ${label.toLowerCase()}` });
    this.cancel.addEventListener('click', () => {
      const jobId = this.jobId;
      if (!jobId) return;
      this.cancel.disabled = true;
      this.client.cancelJob(jobId).then(
        (job) => this.show(job, this.unit),
        (err: unknown) => {
          this.text.textContent = describeError(err);
          this.cancel.disabled = false;
        },
      );
    });
    this.element = h('div', { class: 'row' }, this.bar, this.text, this.cancel);
  }

  show(progress: Progress, unit: string): void {
    this.bar.max = Math.max(progress.total, 1);
    this.bar.value = progress.done;
    this.text.textContent = `${progress.state}${progress.cancelRequested ? ' (cancelling)' : ''}: ${progress.done} / ${progress.total} ${unit}`;
  }

  /** Follows the job to its end: its final view, and whether it ended cancelled (its result then says how far it got). */
  async follow(jobId: string, unit: string): Promise<{ job: JobView; cancelled: boolean }> {
    this.jobId = jobId;
    this.unit = unit;
    this.cancel.classList.remove('hidden');
    try {
      return { job: await this.client.waitForJob(jobId, (job) => this.show(job, unit)), cancelled: false };
    } catch (err) {
      if (err instanceof AdminJobCancelledError) {
        this.show(err.job, unit);
        return { job: err.job, cancelled: true };
      }
      throw err;
    } finally {
      this.jobId = undefined;
      this.cancel.classList.add('hidden');
      this.cancel.disabled = false;
    }
  }
}
