import { EXIT_USAGE } from '../cli-flags';
import type { Scenario } from './scenarios';

/**
 * `npm run load`'s exit codes: a load test in a script or CI must fail when the target did not serve, not print a
 * table and exit 0.
 */
export const LOAD_EXIT = {
  ok: 0,
  /** The run could not start: target unreachable, unknown campaign or tier, no codes to send. */
  failed: 1,
  /** A refused flag (every script's `EXIT_USAGE`): nothing was sent. */
  usage: EXIT_USAGE,
  /** Nothing got through: no request accepted (2xx) in redeem/claim, no answer below 500 in bots. */
  nothingServed: 3,
  /** Transport errors (refused, reset, timed out) and 5xx answers over --max-failed-pct of the requests. */
  tooManyFailures: 4,
  /** Ctrl-C or SIGTERM: the summary of what came back is still printed. */
  interrupted: 130,
} as const;

/** The exit codes as `--help` and the README list them. */
export const LOAD_EXIT_HELP = [
  'exit codes: 0 served within --max-failed-pct; 1 could not start (target unreachable, unknown campaign or tier);',
  '2 a refused flag; 3 nothing got through (no 2xx for redeem/claim, no answer below 500 for bots);',
  '4 transport errors + 5xx over --max-failed-pct of the requests; 130 interrupted (the summary still printed)',
].join('\n');

export interface LoadTally {
  scenario: Scenario;
  /** HTTP answers by status code. */
  statuses: Readonly<Record<string, number>>;
  /** Requests that got no HTTP answer: connection refused or reset, timed out (autocannon counts timeouts here). */
  errors: number;
  /** The share of requests (%) that may fail (transport error or 5xx) with the run still passing. */
  maxFailedPct: number;
}

export interface LoadVerdict {
  exitCode: (typeof LOAD_EXIT)[keyof typeof LOAD_EXIT];
  /** One line for the operator: what the code means for this run. */
  reason: string;
}

const pct = (n: number, of: number): number => Math.round((1000 * n) / Math.max(1, of)) / 10;

/** What a finished (not interrupted) run's exit code is, from what came back. */
export function loadVerdict(t: LoadTally): LoadVerdict {
  const byClass = (test: (status: number) => boolean): number => Object.entries(t.statuses).reduce((n, [status, count]) => n + (test(Number(status)) ? count : 0), 0);
  const answers = byClass(() => true);
  const requests = answers + t.errors;
  const fiveXx = byClass((s) => s >= 500);
  // What "served" means per scenario: bots are meant to be refused (404, 429): an answer is the target working.
  const served = t.scenario === 'bots' ? byClass((s) => s < 500) : byClass((s) => s >= 200 && s < 300);
  const failed = t.errors + fiveXx;
  if (served === 0) {
    const what = t.scenario === 'bots' ? 'no answer below 500' : 'no request accepted (no 2xx)';
    return { exitCode: LOAD_EXIT.nothingServed, reason: `nothing got through: ${what} of ${requests.toLocaleString('en-US')} requests (${t.errors} transport errors, ${fiveXx} 5xx)` };
  }
  if (pct(failed, requests) > t.maxFailedPct) {
    return {
      exitCode: LOAD_EXIT.tooManyFailures,
      reason: `${pct(failed, requests)}% of the requests failed (${t.errors} transport errors, ${fiveXx} 5xx), over --max-failed-pct ${t.maxFailedPct}`,
    };
  }
  return { exitCode: LOAD_EXIT.ok, reason: `served: ${pct(failed, requests)}% failed (transport errors and 5xx), within --max-failed-pct ${t.maxFailedPct}` };
}
