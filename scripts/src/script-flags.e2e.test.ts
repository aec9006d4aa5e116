import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The built scripts, run as an operator runs them: a mistyped flag is one line naming it and the usage, exit 2,
 * before anything runs (no stack trace, and never the default benchmark run anyway); `--help` lists the flags.
 */
const script = (name: string): string => path.resolve(__dirname, '..', 'dist', `${name}.js`);
const run = (name: string, args: string[]) => spawnSync(process.execPath, [script(name), ...args], { encoding: 'utf8', timeout: 20_000 });

describe('script flags', () => {
  it.each(['load', 'bench-pipeline', 'bench-drain', 'bench-intake', 'bench-drop', 'bench-generate', 'bench-store', 'measure-attempt-memory'])(
    '%s --bogus: refused in one line, exit 2',
    (name) => {
      const result = run(name, ['--bogus', '1']);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^${name}: Unknown option '--bogus' \\(flags: .*; --help lists them\\)\\nusage: `));
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    },
  );

  it.each(['load', 'bench-pipeline', 'bench-drain', 'bench-intake', 'bench-drop', 'bench-drop-chart', 'bench-generate', 'measure-attempt-memory'])(
    '%s --help: every flag with what it sets, exit 0 without running',
    (name) => {
      const result = run(name, ['--help']);
      expect(result.status).toBe(0);
      const rows = result.stdout.split('\n').filter((line) => line.startsWith('  --'));
      expect(rows.length).toBeGreaterThan(0);
      // "  --flag <n>   what it sets; default 20": a description, not only the default.
      for (const row of rows) expect(row).toMatch(/^ {2}--[a-zA-Z-]+ \S+ +(?!default )\S.{7,}$/);
    },
  );

  it('a bad value names the flag: load --scenario nope', () => {
    const result = run('load', ['--scenario', 'nope']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^load: --scenario must be one of: redeem, claim, bots \(got "nope"\)\n/);
  });

  it('bench-store --help says what it does and exits 0 without running', () => {
    const result = run('bench-store', ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^npm run bench:store: claims\/s of the PostgreSQL adapter/);
    expect(result.stdout).toContain('(no flags)');
  });
});
