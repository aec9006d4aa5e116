import { AdminApiError, AdminJobCancelledError, AdminJobFailedError, AdminUnreachableError } from '@dropgate/admin-client';
import { CommanderError } from 'commander';

/** What `dropgate` exits with (documented in `dropgate --help` and the README). */
export const EXIT_CODES = {
  ok: 0,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  usage: 1,
  /** The API refused the request (4xx other than 401/403): unknown campaign, invalid body, not enough codes, ... */
  refused: 2,
  /** No token, or the token was refused (401/403). */
  auth: 3,
  /** The API failed (5xx) or could not be reached. */
  unavailable: 4,
  /** A background job the command waited for ended failed, or was cancelled (by `dropgate cancel`, the page). */
  jobFailed: 5,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  usage: unknown command or option, bad argument
  2  the API refused the request (4xx): unknown campaign, invalid input, not enough codes, ...
  3  authentication: no token, or the token was refused (401/403)
  4  the API failed (5xx) or could not be reached
  5  a background job (generate, import) failed or was cancelled`;

/** Thrown for a usage problem found after parsing (e.g. conflicting options). */
export class UsageError extends Error {}

/** Thrown when no token is configured. */
export class MissingTokenError extends Error {}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (err instanceof UsageError) return EXIT_CODES.usage;
  if (err instanceof MissingTokenError) return EXIT_CODES.auth;
  if (err instanceof AdminApiError) return err.isAuth ? EXIT_CODES.auth : err.status >= 500 ? EXIT_CODES.unavailable : EXIT_CODES.refused;
  if (err instanceof AdminUnreachableError) return EXIT_CODES.unavailable;
  if (err instanceof AdminJobFailedError || err instanceof AdminJobCancelledError) return EXIT_CODES.jobFailed;
  return EXIT_CODES.unavailable;
}
