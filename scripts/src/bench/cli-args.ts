/**
 * `--name value` / `--name=value` command-line flags with numeric defaults. Unknown flags are refused so a
 * typo never silently runs the default benchmark.
 */
export function numericFlags<T extends Record<string, number>>(argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument "${arg}" (flags: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')})`);
    const name = m[1]!;
    if (!(name in defaults)) throw new Error(`unknown flag --${name} (flags: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')})`);
    const raw = m[2] ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a non-negative number, got "${raw ?? ''}"`);
    out[name] = value;
  }
  return out as T;
}

/**
 * Like `numericFlags`, plus flags that take one of a few words (`--compare batch`). Each word flag's default is
 * the first of its allowed values.
 */
export function benchFlags<N extends Record<string, number>, W extends Record<string, readonly [string, ...string[]]>>(
  argv: readonly string[],
  numeric: N,
  words: W,
): N & { [K in keyof W]: W[K][number] } {
  const rest: string[] = [];
  const chosen: Record<string, string> = Object.fromEntries(Object.entries(words).map(([k, v]) => [k, v[0]]));
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(argv[i]!);
    const name = m?.[1];
    if (!m || name === undefined || !(name in words)) {
      rest.push(argv[i]!);
      continue;
    }
    const value = m[2] ?? argv[++i];
    const allowed = words[name]!;
    if (value === undefined || !allowed.includes(value)) throw new Error(`--${name} must be one of: ${allowed.join(', ')} (got "${value ?? ''}")`);
    chosen[name] = value;
  }
  return { ...numericFlags(rest, numeric), ...chosen } as N & { [K in keyof W]: W[K][number] };
}
