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

export function isoDate(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('an ISO date, e.g. 2026-12-03T19:30:00Z');
  return new Date(ms).toISOString();
}

/** `90s`, `30m`, `2h` or `1d` → milliseconds. */
export function duration(value: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!m) throw new InvalidArgumentError('a duration such as 90s, 30m, 2h, 1d');
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

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
