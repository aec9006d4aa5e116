import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

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

/**
 * A script's `--name value` / `--name=value` flags, read by node's `util.parseArgs` in strict mode: an unknown flag
 * or a stray argument is refused, so a typo never silently runs the default benchmark. Numeric flags take a
 * non-negative number (default: the value given here); word flags take one of their words (default: the first);
 * text flags take any string (a URL, a file; default: the value given here, '' meaning "not given").
 * `--help` (or `-h`) prints `usage` and every flag with its default, and exits. A refused flag throws `FlagError`.
 */
export function readFlags<N extends Record<string, number>, W extends WordChoices = Record<never, never>, T extends Record<string, string> = Record<never, never>>(
  argv: readonly string[],
  usage: string,
  numeric: N,
  words: W = {} as W,
  text: T = {} as T,
): Flags<N, W, T> {
  const names = [...Object.keys(numeric), ...Object.keys(words), ...Object.keys(text)];
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new FlagError(`${err instanceof Error ? err.message : String(err)} (flags: ${names.length ? names.map((n) => `--${n}`).join(' ') : 'none'}; --help lists them)`, { cause: err });
  }
  if (values.help === true) {
    process.stdout.write(helpText(usage, numeric, words, text));
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
export function parseFlags<N extends Record<string, number>, W extends WordChoices = Record<never, never>, T extends Record<string, string> = Record<never, never>>(
  argv: readonly string[],
  usage: string,
  numeric: N,
  words: W = {} as W,
  text: T = {} as T,
): Flags<N, W, T> {
  try {
    return readFlags(argv, usage, numeric, words, text);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${path.basename(process.argv[1] ?? 'script', '.js')}: ${err.message}\nusage: ${usage.split('\n')[0]}\n`);
    process.exit(EXIT_USAGE);
  }
}

function helpText(usage: string, numeric: Record<string, number>, words: WordChoices, text: Record<string, string>): string {
  const rows = [
    ...Object.entries(numeric).map(([name, value]) => [`--${name} <n>`, `default ${value}`]),
    ...Object.entries(words).map(([name, allowed]) => [`--${name} ${allowed.join('|')}`, `default ${allowed[0]}`]),
    ...Object.entries(text).map(([name, value]) => [`--${name} <text>`, value === '' ? 'not set by default' : `default ${value}`]),
  ];
  if (rows.length === 0) return `${usage}\n\n  (no flags)\n`;
  const width = Math.max(...rows.map(([flag]) => flag!.length));
  return `${usage}\n\n${rows.map(([flag, text]) => `  ${flag!.padEnd(width)}  ${text}`).join('\n')}\n`;
}
