import { spawn } from 'node:child_process';
import path from 'node:path';
import { abortOnExit, freePort, stopChild, waitFor } from '@dropgate/testkit';

export interface BareExpress {
  url: string;
  pid: number | undefined;
  stop: () => Promise<void>;
}

/**
 * Starts the benches' reference server (bench/intake/bare-server.js, its own process): a bare Express app answering
 * POST /v1/redemptions and POST /v1/claims with 202 and nothing else, the floor any HTTP server reaches on this
 * machine with the same load generator and connections. `processes` > 1: a node:cluster of that many (its primary's
 * pid is `pid`), to set against an intake running that many.
 */
export async function startBareExpress(processes = 1): Promise<BareExpress> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '', PORT: String(port), PROCESSES: String(processes) };
  const child = spawn(process.execPath, [path.join(__dirname, 'intake', 'bare-server.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('error', () => undefined);
  const url = `http://127.0.0.1:${port}`;
  const died = new AbortController();
  const unwatch = abortOnExit(child, 'bare express', died);
  try {
    await waitFor('bare express to answer', async () => ((await fetch(`${url}/v1/redemptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status === 202 ? true : undefined), 15_000, 50, died.signal);
  } catch (err) {
    await stopChild(child);
    throw err;
  } finally {
    unwatch();
  }
  return { url, pid: child.pid, stop: () => stopChild(child) };
}
