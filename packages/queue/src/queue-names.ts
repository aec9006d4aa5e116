import type { AttemptKind } from '@dropgate/core';

/** Every queue and job name, declared once. A typo elsewhere is a type error. */
export const QUEUES = {
  /** Redeem and claim attempts, accepted by intake and run by the worker. */
  attempts: 'attempts',
  /** Timed locks ending: delayed jobs and a periodic sweep, run by the admin process (`lock-release-jobs.ts`). */
  lockReleases: 'lock-releases',
  /** Long admin operations (code generation, ...), enqueued by the admin API and run by the admin jobs worker. */
  adminJobs: 'admin-jobs',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job names on the attempts queue: exactly core's attempt kinds (payloads and results: `AttemptJobContract`). */
export type AttemptJobName = AttemptKind;

const JOB_NAMES = { redeem: true, claim: true } as const satisfies Record<AttemptJobName, true>;

export const ATTEMPT_JOB_NAMES = Object.freeze(Object.keys(JOB_NAMES) as AttemptJobName[]);

export function isAttemptJobName(value: unknown): value is AttemptJobName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(JOB_NAMES, value);
}
