import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_QUICK_RESTARTS, ProcessGroup } from './process-group';

/** Real child processes (tiny node scripts), no mocks of child_process. */
describe('ProcessGroup', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dropgate-pg-'));
  const script = (name: string, body: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    return file;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const node = (file: string) => () => spawn(process.execPath, [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  it('restarts a child that dies young, then gives up after MAX_QUICK_RESTARTS', async () => {
    const starts = script('crash.js', `require('fs').appendFileSync(${JSON.stringify(path.join(dir, 'starts'))}, 'x'); process.exit(3);`);
    const gaveUp = new Promise<string>((resolve) => {
      const group = new ProcessGroup(() => undefined, resolve, 5);
      group.start({ name: 'crasher', launch: node(starts) });
    });
    expect(await gaveUp).toBe('crasher');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'starts'), 'utf8')).toHaveLength(MAX_QUICK_RESTARTS + 1);
  });

  it('stops every child with SIGTERM and waits for them', async () => {
    const marker = path.join(dir, 'terminated');
    const ready = path.join(dir, 'ready');
    const longRunner = script(
      'long.js',
      `const fs = require('fs'); process.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(marker)}, 't'); process.exit(0); }); setInterval(() => {}, 1000); fs.appendFileSync(${JSON.stringify(ready)}, 'r');`,
    );
    const group = new ProcessGroup(() => undefined, () => undefined);
    group.start({ name: 'a', launch: node(longRunner) });
    group.start({ name: 'b', launch: node(longRunner) });
    // Wait until both have installed their SIGTERM handler (each writes a mark once it has).
    const { existsSync, readFileSync: read } = await import('node:fs');
    for (const deadline = Date.now() + 10_000; !(existsSync(ready) && read(ready, 'utf8').length === 2); ) {
      if (Date.now() > deadline) throw new Error('children did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
    await group.stop(5_000);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(marker, 'utf8')).toBe('tt');
    for (const pid of Object.values(group.pids())) expect(() => process.kill(pid!, 0)).toThrow();
  });
});
