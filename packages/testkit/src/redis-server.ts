import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { abortOnExit, stopChild } from './child-process';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: with AOF on, Redis flushes before exiting). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data directory (thawed first). */
  destroy(): Promise<void>;
  /**
   * SIGSTOP: the server answers nothing while its connections stay open (the kernel still accepts new ones): a hung
   * Redis, as its clients see one. `thaw` (SIGCONT) lets it go on.
   */
  freeze(): void;
  thaw(): void;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * A private redis-server for tests that must restart or persist Redis: a free port, AOF with fsync on every
 * write, its own temporary directory. Never the shared Redis on 6379.
 */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropgate-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'], {
      stdio: 'ignore',
    });
    c.on('error', () => undefined); // reported by abortOnExit while starting; an unhandled 'error' would end the test process
    child = c;
    const died = new AbortController();
    const unwatch = abortOnExit(c, `redis-server on :${port}`, died);
    try {
      await waitFor(`redis-server on :${port}`, async () => ((await ping(port)) ? true : undefined), 10_000, 25, died.signal);
    } finally {
      unwatch();
    }
  };
  const stop = async (): Promise<void> => {
    if (!child) return;
    child.kill('SIGCONT'); // a frozen server would not act on the SIGTERM
    await stopChild(child);
  };
  try {
    await start();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
  };
}
