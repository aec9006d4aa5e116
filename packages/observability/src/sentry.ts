import type * as SentrySdk from '@sentry/node';
import { createScrubber } from './scrub-event';

/**
 * The SDK, loaded only when a DSN is set: requiring @sentry/node costs a process ~0.4 s of CPU at start-up (a
 * worker started into a backlog loses that much draining time), for nothing when Sentry is off.
 */
let Sentry: typeof SentrySdk | undefined;
function loadSdk(): typeof SentrySdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  return (Sentry ??= require('@sentry/node') as typeof SentrySdk);
}

export interface SentryOptions {
  /** Sentry is off (every function here a no-op) when undefined. */
  dsn: string | undefined;
  environment: string;
  /** Process kind; set as the `app` tag on every event. */
  app: string;
  release?: string | undefined;
  /** Secret values scrubbed from every event wherever they appear (ADMIN_TOKEN, CUSTOMER_JWT_SECRET, ...). */
  secrets?: readonly (string | undefined)[] | undefined;
}

let enabled = false;

/**
 * Starts the Sentry SDK for this process. Collects as little as it can: no request bodies, headers, cookies,
 * query strings, queue payloads, database parameters or local variables, since those carry codes and customer ids.
 * Never throws; returns whether events will be sent.
 */
export function initSentry(options: SentryOptions): boolean {
  if (!options.dsn) return false;
  try {
    const sdk = loadSdk();
    const client = sdk.init({
      dsn: options.dsn,
      environment: options.environment,
      release: options.release,
      // We send errors, not spans: no load-time module hooks (they also cannot work under Jest).
      enableRuntimeChannelInjection: false,
      // Codes, customer ids and tokens never leave the process, whatever an error message or extra carries.
      beforeSend: createScrubber({ secrets: options.secrets ?? [] }),
      dataCollection: {
        userInfo: false,
        cookies: false,
        httpHeaders: false,
        httpBodies: [],
        urlQueryParams: false,
        databaseQueryData: false,
        queues: false,
        stackFrameVariables: false,
        genAI: { inputs: false, outputs: false },
      },
    });
    sdk.getGlobalScope().setTag('app', options.app);
    enabled = client?.getDsn() !== undefined;
  } catch {
    enabled = false;
  }
  return enabled;
}

/** Reports an error with extra tags (no ids or codes in tags: use `redact`). Returns the event id, if sent. */
export function captureException(err: unknown, tags: Record<string, string> = {}): string | undefined {
  if (!enabled || !Sentry) return undefined;
  try {
    return Sentry.captureException(err, { tags });
  } catch {
    return undefined;
  }
}

/** Waits up to `timeoutMs` for queued events to be sent. True when everything went out (or Sentry is off). */
export async function flushSentry(timeoutMs: number): Promise<boolean> {
  if (!enabled || !Sentry) return true;
  try {
    return await Sentry.flush(timeoutMs);
  } catch {
    return false;
  }
}

/** Flushes, then shuts the SDK down (a shutdown-registry hook). */
export async function closeSentry(timeoutMs: number): Promise<boolean> {
  if (!enabled || !Sentry) return true;
  enabled = false;
  try {
    return await Sentry.close(timeoutMs);
  } catch {
    return false;
  }
}
