import { parseArgs, type ParseArgsConfig } from 'node:util';

type WordChoices = Readonly<Record<string, readonly [string, ...string[]]>>;
export type Flags<N extends Record<string, number>, W extends WordChoices> = N & { [K in keyof W]: W[K][number] };

/**
 * A script's `--name value` / `--name=value` flags, read by node's `util.parseArgs` in strict mode: an unknown flag
 * or a stray argument is refused, so a typo never silently runs the default benchmark. Numeric flags take a
 * non-negative number (default: the value given here); word flags take one of their words (default: the first).
 * `--help` (or `-h`) prints `usage` and every flag with its default, and exits.
 */
export function parseFlags<N extends Record<string, number>, W extends WordChoices = Record<never, never>>(
  argv: readonly string[],
  usage: string,
  numeric: N,
  words: W = {} as W,
): Flags<N, W> {
  const names = [...Object.keys(numeric), ...Object.keys(words)];
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (flags: ${names.map((n) => `--${n}`).join(' ')}; --help lists them)`, { cause: err });
  }
  if (values.help === true) {
    process.stdout.write(helpText(usage, numeric, words));
    process.exit(0);
  }
  const out: Record<string, number | string> = { ...numeric };
  for (const [name, fallback] of Object.entries(words)) out[name] = fallback[0];
  for (const name of names) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    const allowed = words[name];
    if (allowed) {
      if (!allowed.includes(raw)) throw new Error(`--${name} must be one of: ${allowed.join(', ')} (got "${raw}")`);
      out[name] = raw;
      continue;
    }
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a non-negative number, got "${raw}"`);
    out[name] = value;
  }
  return out as Flags<N, W>;
}

function helpText(usage: string, numeric: Record<string, number>, words: WordChoices): string {
  const rows = [
    ...Object.entries(numeric).map(([name, value]) => [`--${name} <n>`, `default ${value}`]),
    ...Object.entries(words).map(([name, allowed]) => [`--${name} ${allowed.join('|')}`, `default ${allowed[0]}`]),
  ];
  const width = Math.max(...rows.map(([flag]) => flag!.length));
  return `${usage}\n\n${rows.map(([flag, text]) => `  ${flag!.padEnd(width)}  ${text}`).join('\n')}\n`;
}
