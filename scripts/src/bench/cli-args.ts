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
