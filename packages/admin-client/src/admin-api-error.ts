import { errorMessage } from '@dropgate/core';
import type { JobView } from './views';

/** The admin API answered with an error: `status` and the stable `code` of `{"error":{"code","message"}}`. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }

  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The admin API could not be reached (connection refused, DNS, timeout). */
export class AdminUnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: unknown,
  ) {
    // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ...) is its cause.
    super(`cannot reach the admin API at ${url}: ${errorMessage(reason instanceof Error && reason.cause instanceof Error ? reason.cause : reason)}`, { cause: reason });
    this.name = 'AdminUnreachableError';
  }
}

/** A background job ended in `failed`: the message says why, as the job reported it (`GET /admin/v1/jobs/:id`'s `error`). */
export class AdminJobFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly job: { error?: string | undefined },
  ) {
    super(`job ${jobId} failed${job.error ? `: ${job.error}` : ''}`);
    this.name = 'AdminJobFailedError';
  }
}

/** A background job ended `cancelled` (someone cancelled it): how far it got is in `job` (done/total, its result). */
export class AdminJobCancelledError extends Error {
  constructor(
    readonly jobId: string,
    readonly job: JobView,
  ) {
    const inserted = job.result?.inserted;
    super(`job ${jobId} was cancelled${typeof inserted === 'number' ? `: ${inserted} codes written before it stopped` : ''}`);
    this.name = 'AdminJobCancelledError';
  }
}
