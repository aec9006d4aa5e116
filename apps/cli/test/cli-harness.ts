import { spawn } from 'node:child_process';
import { appEntry, type RunningSystem } from '@dropgate/testkit';

/** The built `dropgate` CLI run as a process (as `npm run cli --` runs it) against a running system. */

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Cli = (args: string[], env?: Record<string, string | undefined>, stdin?: string) => Promise<CliRun>;

/** Runs `dropgate` with the system's admin URL and token (an `env` entry set to undefined removes it). */
export function cliFor(system: () => RunningSystem): Cli {
  return (args, env = {}, stdin) => {
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '' };
    const base = { DROPGATE_ADMIN_URL: system().adminUrl, DROPGATE_TOKEN: system().adminToken, ...env };
    for (const [k, v] of Object.entries(base)) if (v !== undefined) childEnv[k] = v;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [appEntry('cli'), ...args], { env: childEnv, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      if (stdin !== undefined) child.stdin!.end(stdin);
    });
  };
}

/** `dropgate --json <args>`, parsed; throws with its stderr unless it exits 0. */
export function cliJsonFor(cli: Cli): <T>(args: string[]) => Promise<T> {
  return async <T>(args: string[]): Promise<T> => {
    const run = await cli(['--json', ...args]);
    if (run.code !== 0) throw new Error(`dropgate ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  };
}

/**
 * Runs `dropgate` as `dropgate ... | head -c N` would: reads its first chunk of stdout, then closes the pipe while it
 * is still writing (its next write fails with EPIPE).
 */
export function cliReadingFirstChunk(system: () => RunningSystem): (args: string[]) => Promise<CliRun> {
  return (args) =>
    new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '', DROPGATE_ADMIN_URL: system().adminUrl, DROPGATE_TOKEN: system().adminToken };
      const child = spawn(process.execPath, [appEntry('cli'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.once('data', (d: Buffer) => {
        stdout = d.toString();
        child.stdout.destroy();
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
}
