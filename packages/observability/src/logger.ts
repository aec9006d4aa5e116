import pino, { type DestinationStream, type Logger } from 'pino';
import { redact } from './redact';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level: LogLevel;
  /** Process kind, written on every line: intake, worker, admin, supervisor, ... */
  app: string;
  /** Where lines go; stdout when omitted (tests pass a stream). */
  destination?: DestinationStream | undefined;
}

/** Ids and codes: replaced by a short hash, so lines about one customer or code can still be matched. */
const HASHED_KEYS = ['code', 'customerId'];
/** Credentials: replaced outright. */
const SECRET_KEYS = ['authorization', 'cookie', 'x-admin-token', 'token', 'adminToken', 'password'];

const paths = [...HASHED_KEYS, ...SECRET_KEYS].flatMap((key) => {
  const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [key.startsWith('x-') ? `["${key}"]` : key, `*${access}`, `*.*${access}`, `*.*.*${access}`];
});

function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (HASHED_KEYS.includes(key) && typeof value === 'string') return redact(value);
  return '[redacted]';
}

/**
 * stderr, written synchronously: for a process's last line before `process.exit` (an asynchronous stream could lose
 * it), such as a start-up failure.
 */
export function stderrSync(): DestinationStream {
  return pino.destination({ fd: 2, sync: true });
}

/**
 * JSON lines via pino, with `app` on every line. Fields named `code` or `customerId` (up to four levels deep)
 * are logged as `sha256:<12 hex>`, credentials (authorization, cookie, token, ...) as `[redacted]`.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { app: options.app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths, censor },
    },
    options.destination,
  );
}
