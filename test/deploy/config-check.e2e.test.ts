import { spawnSync } from 'node:child_process';
import type { Env } from '@dropgate/config';
import { appEntry } from '@dropgate/testkit';
import { envOf, PROJECTS } from './compose-files';

/**
 * docker compose's one-shot `config` service (apps/supervisor's built check-config.js), run as compose runs it: its
 * environment from the compose files (both stores), the host's variables substituted. Every Dropgate service waits for
 * it (through migrate), so what it refuses stops `docker compose up` before anything starts, instead of a service
 * restart-looping on exit 78. (No Docker engine runs here: the compose side is checked by docker-compose.test.ts.)
 */
const ADMIN_TOKENS = `ops:read+write+export:${'a'.repeat(64)}`;

function check(env: Env): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [appEntry('supervisor', 'check-config.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("docker compose's config check", () => {
  it("accepts each project's environment, with or without the host's ADMIN_TOKENS (exit 0)", () => {
    for (const [store, compose] of Object.entries(PROJECTS)) {
      for (const host of [{}, { ADMIN_TOKENS }] as Array<Record<string, string>>) {
        const run = check(envOf(compose, 'config', host));
        expect({ store, status: run.status, stderr: run.stderr }).toEqual({ store, status: 0, stderr: '' });
        expect(run.stdout).toBe('configuration accepted: intake, admin, worker\n');
      }
    }
  });

  it("refuses a bad value of any service's variable with exit 78 and one line naming it", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'], // the intake's
      [{ ADMIN_TOKENS: 'ops:read:not-a-hash' }, 'ADMIN_TOKENS'], // the admin's
      [{ ATTEMPT_RETENTION_S: 'a day' }, 'ATTEMPT_RETENTION_S'], // every service's
    ];
    for (const [store, compose] of Object.entries(PROJECTS)) {
      for (const [host, variable] of cases) {
        const run = check(envOf(compose, 'config', host));
        expect({ store, variable, status: run.status, stdout: run.stdout }).toEqual({ store, variable, status: 78, stdout: '' });
        expect(run.stderr).toMatch(new RegExp(`^configuration refused, nothing started: Invalid configuration: .*${variable} .+\\n$`));
      }
    }
  });
});
