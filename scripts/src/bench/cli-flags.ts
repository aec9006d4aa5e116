import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage } from '@dropgate/core';

/** A flag the script does not take, or a value it cannot use: the operator's typo, not a failure of the script. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** The exit code of a refused flag (as getopt-style tools): 1 stays "the run failed". */
export const EXIT_USAGE = 2;

type WordChoices = Readonly<Record<string, readonly [string, ...string[]]>>;
export type Flags<N extends Record<string, number>, W extends WordChoices, T extends Record<string, string> = Record<never, never>> = N & {
  [K in keyof W]: W[K][number];
} & { [K in keyof T]: string };

/** A script's flags: what `parseFlags` reads. Every flag must be described in `about` (the type checker says which is not). */
export interface FlagSpec<N extends Record<string, number>, W extends WordChoices, T extends Record<string, string>> {
  /** Its first line says how to run the script and what it does (a refused flag prints it); more lines may follow. */
  usage: string;
  /** Numeric flags and their defaults. */
  numeric?: N;
  /** Word flags and their words (the first is the default). */
  words?: W;
  /** Text flags and their defaults ('' meaning "not given"). */
  text?: T;
  /** What each flag sets, one line each: `--help` prints it with the default. */
  about: { readonly [K in keyof N | keyof W | keyof T]: string };
}

type Empty = Record<never, never>;

/**
 * A script's `--name value` / `--name=value` flags, read by node's `util.parseArgs` in strict mode: an unknown flag
 * or a stray argument is refused, so a typo never silently runs the default benchmark. Numeric flags take a
 * non-negative number (default: the value given here); word flags take one of their words (default: the first);
 * text flags take any string (a URL, a file; default: the value given here, '' meaning "not given").
 * `--help` (or `-h`) prints the usage and every flag with what it sets and its default, and exits. A refused flag
 * throws `FlagError`.
 */
export function readFlags<N extends Record<string, number> = Empty, W extends WordChoices = Empty, T extends Record<string, string> = Empty>(
  argv: readonly string[],
  spec: FlagSpec<N, W, T>,
): Flags<N, W, T> {
  const numeric = spec.numeric ?? ({} as N);
  const words = spec.words ?? ({} as W);
  const text = spec.text ?? ({} as T);
  const names = [...Object.keys(numeric), ...Object.keys(words), ...Object.keys(text)];
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new FlagError(`${errorMessage(err)} (flags: ${names.length ? names.map((n) => `--${n}`).join(' ') : 'none'}; --help lists them)`, { cause: err });
  }
  if (values.help === true) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  const out: Record<string, number | string> = { ...numeric, ...text };
  for (const [name, fallback] of Object.entries(words)) out[name] = fallback[0];
  for (const name of names) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    if (Object.prototype.hasOwnProperty.call(text, name)) {
      out[name] = raw;
      continue;
    }
    const allowed = words[name];
    if (allowed) {
      if (!allowed.includes(raw)) throw new FlagError(`--${name} must be one of: ${allowed.join(', ')} (got "${raw}")`);
      out[name] = raw;
      continue;
    }
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value < 0) throw new FlagError(`--${name} needs a non-negative number, got "${raw}"`);
    out[name] = value;
  }
  return out as Flags<N, W, T>;
}

/**
 * `readFlags` for a script's start-up: a refused flag prints one line naming it (and the usage) on stderr and exits
 * EXIT_USAGE, instead of a stack trace; nothing has run yet.
 */
export function parseFlags<N extends Record<string, number> = Empty, W extends WordChoices = Empty, T extends Record<string, string> = Empty>(
  argv: readonly string[],
  spec: FlagSpec<N, W, T>,
): Flags<N, W, T> {
  try {
    return readFlags(argv, spec);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${path.basename(process.argv[1] ?? 'script', '.js')}: ${err.message}\nusage: ${spec.usage.split('\n')[0]}\n`);
    process.exit(EXIT_USAGE);
  }
}

/** The usage, then one row per flag: `--name <n>   what it sets; default 20`. */
export function helpText<N extends Record<string, number>, W extends WordChoices, T extends Record<string, string>>(spec: FlagSpec<N, W, T>): string {
  const about = spec.about as Record<string, string>;
  const row = (flag: string, name: string, fallback: string | number | undefined): [string, string] => [flag, fallback === '' ? `${about[name]}` : `${about[name]}; default ${fallback}`];
  const rows = [
    ...Object.entries(spec.numeric ?? {}).map(([name, value]) => row(`--${name} <n>`, name, value)),
    ...Object.entries(spec.words ?? {}).map(([name, allowed]) => row(`--${name} ${allowed.join('|')}`, name, allowed[0])),
    // A text flag's '' default means "not given": its line says what happens then.
    ...Object.entries(spec.text ?? {}).map(([name, value]) => row(`--${name} <text>`, name, value)),
  ];
  if (rows.length === 0) return `${spec.usage}\n\n  (no flags)\n`;
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return `${spec.usage}\n\n${rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n')}\n`;
}
