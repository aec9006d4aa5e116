import { z } from 'zod';

/**
 * Builders for single environment variables. Every variable arrives as a string (or undefined); these turn it
 * into a typed value or an issue whose message reads after the variable name ("PORT must be an integer ...").
 */

const INTEGER = /^-?\d+$/;

const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);

export function intVar(min: number, max: number) {
  const what = `an integer between ${min} and ${max}`;
  return z
    .string({ error: required(what) })
    .regex(INTEGER, `must be ${what}`)
    .transform(Number)
    .pipe(z.number({ error: `must be ${what}` }).int(`must be ${what}`).min(min, `must be ${what}`).max(max, `must be ${what}`));
}

/** 'true' / 'false' / '1' / '0', nothing else (not 'yes', not 'TRUE'). */
export function boolVar() {
  return z.stringbool({
    truthy: ['true', '1'],
    falsy: ['false', '0'],
    case: 'sensitive',
    error: (issue) => (issue.input === undefined ? 'is required' : "must be one of 'true', 'false', '1', '0'"),
  });
}

export function enumVar<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (issue) => (issue.input === undefined ? 'is required' : `must be one of: ${values.join(', ')}`) });
}

export function stringVar(pattern: RegExp, what: string) {
  return z.string({ error: required(what) }).regex(pattern, `must be ${what}`);
}

export function secretVar(minLength: number) {
  const what = `at least ${minLength} characters long`;
  return z.string({ error: required(what) }).min(minLength, `must be ${what}`);
}

/** A URL whose scheme is one of `protocols` (given without the colon, e.g. 'redis'). */
export function urlVar(protocols: readonly string[]) {
  const what = `a ${protocols.join('/')} URL`;
  return z.string({ error: required(what) }).refine((value) => {
    if (!URL.canParse(value)) return false;
    return protocols.includes(new URL(value).protocol.slice(0, -1));
  }, `must be ${what}`);
}

/**
 * A MongoDB connection string. Not `urlVar`: a replica set's usual form lists its members,
 * `mongodb://a:27017,b:27017,c:27017/?replicaSet=rs0`, which the WHATWG URL parser refuses (one host only). So each
 * seed host is checked as its own URL with the same scheme, credentials, path and options; `mongodb+srv` names one
 * host (the driver looks the members up in DNS).
 */
export function mongoUrlVar() {
  const what = 'a mongodb/mongodb+srv URL';
  return z.string({ error: required(what) }).refine((value) => {
    const match = /^(mongodb(?:\+srv)?:\/\/)([^/?#]*)(.*)$/.exec(value);
    if (!match) return false;
    const [, scheme = '', authority = '', rest = ''] = match;
    const at = authority.lastIndexOf('@');
    const hosts = authority.slice(at + 1).split(',');
    if (scheme === 'mongodb+srv://' && hosts.length !== 1) return false;
    return hosts.every((host) => host !== '' && URL.canParse(`${scheme}${authority.slice(0, at + 1)}${host}${rest}`));
  }, `must be ${what}`);
}

/** A Sentry DSN: http(s)://<public key>@<host>/<project id>. */
export function dsnVar() {
  const what = 'a Sentry DSN (https://<key>@<host>/<project>)';
  return z.string({ error: required(what) }).refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username !== '' && /\/\d+$/.test(url.pathname);
  }, `must be ${what}`);
}

/** A comma-separated list of integers in [min, max], e.g. "60,600,3600" (at least one). */
export function intListVar(min: number, max: number) {
  const what = `comma-separated integers between ${min} and ${max}`;
  return z
    .string({ error: required(what) })
    .regex(/^\d+(,\d+)*$/, `must be ${what}`)
    .transform((value) => value.split(',').map(Number))
    .pipe(z.array(z.number().int().min(min, `must be ${what}`).max(max, `must be ${what}`)).min(1, `must be ${what}`));
}

/** A variable read by `parse` (undefined when it cannot read it), refused with `message` otherwise. */
export function parsedVar<T>(parse: (raw: string) => T | undefined, message: string) {
  return z.string({ error: message }).transform((raw, ctx): T => {
    const parsed = parse(raw);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return parsed;
  });
}
