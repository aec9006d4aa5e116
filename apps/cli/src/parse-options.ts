import type { NewTier } from '@dropgate/admin-client';
import { adminApiUrl } from '@dropgate/config';
import { CODE_STATES, type CodeState } from '@dropgate/core';
import { InvalidArgumentError } from 'commander';

/** Option value parsers: a bad value is a usage error (exit 1) before any request is sent. */

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a positive whole number');
  return Number(value);
}

/** `name:quantity[:reward]`, repeatable; the reward defaults to the tier name. */
export function tierSpec(value: string, previous: NewTier[] = []): NewTier[] {
  const m = /^([^:]+):(\d+)(?::(.+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError('name:quantity[:reward], e.g. tshirt:600:"T-shirt"');
  return [...previous, { name: m[1]!, quantity: Number(m[2]), reward: m[3] ?? m[1]! }];
}

/** `--url`: an http(s) URL, by the rule DROPGATE_ADMIN_URL is held to. */
export function httpUrl(value: string): string {
  if (!adminApiUrl.safeParse(value).success) throw new InvalidArgumentError('an http(s) URL, e.g. http://127.0.0.1:3001');
  return value;
}

export function codeState(value: string): CodeState {
  if (!(CODE_STATES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${CODE_STATES.join(', ')}`);
  return value as CodeState;
}

/** An ISO 8601 date and time with its offset (`Z` or `+hh:mm`): what the API takes, seconds optional. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * `--starts-at`, `--release-at`, ...: an instant, written so that it cannot be misread. `Date.parse` alone takes
 * `5` (May 2001), `12/05/2026` (December, US order), a time without offset (this machine's zone) and rolls
 * 2026-02-30 over into March; each would be sent as a date the operator did not mean.
 */
export function isoDate(value: string): string {
  const m = ISO_INSTANT.exec(value);
  const ms = Date.parse(value);
  if (!m || Number.isNaN(ms)) {
    const zoneless = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.test(value);
    throw new InvalidArgumentError(
      zoneless
        ? 'a date and time with its time zone: add Z for UTC or an offset, e.g. 2026-12-03T19:30:00Z or 2026-12-03T20:30:00+01:00'
        : 'an ISO date and time with its time zone, e.g. 2026-12-03T19:30:00Z',
    );
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day); // not Date.UTC: it reads years 0-99 as 1900-1999
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day)
    throw new InvalidArgumentError(`${m[1]}-${m[2]}-${m[3]} is not a day of the calendar`);
  return new Date(ms).toISOString();
}

/** `90s`, `30m`, `2h` or `1d` → milliseconds. */
export function duration(value: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!m) throw new InvalidArgumentError('a duration such as 90s, 30m, 2h, 1d');
  const ms = Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  // Far past any schedule the API takes (5 years), and a date JavaScript can still hold once added to now.
  if (ms > MAX_DURATION_DAYS * 86_400_000) throw new InvalidArgumentError(`a duration of at most ${MAX_DURATION_DAYS}d`);
  return ms;
}

const MAX_DURATION_DAYS = 36_500;

export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/**
 * Wraps a parser so that `none` passes as is (commander turns a parser's null into ''); `noneToNull` makes it the
 * null that clears the field.
 */
export function orNone<T>(parse: (value: string) => T): (value: string) => T | 'none' {
  return (value) => (value === 'none' ? 'none' : parse(value));
}

export function noneToNull<T>(value: T | 'none' | undefined): T | null | undefined {
  return value === 'none' ? null : value;
}
