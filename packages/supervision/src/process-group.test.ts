import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_QUICK_RESTARTS, ProcessGroup } from './process-group';
import { EXIT_NOT_RESTARTABLE } from './startup-failure';

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
    // (the exit code reached onGiveUp too: see the next test)
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'starts'), 'utf8')).toHaveLength(MAX_QUICK_RESTARTS + 1);
  });

  it('gives up at once, with the code, on a child that exits EXIT_NOT_RESTARTABLE (a bad variable, a port in use)', async () => {
    const startsFile = path.join(dir, 'fatal-starts');
    const fatal = script('fatal.js', `require('fs').appendFileSync(${JSON.stringify(startsFile)}, 'x'); process.exit(${EXIT_NOT_RESTARTABLE});`);
    const gaveUp = new Promise<[string, number | null]>((resolve) => {
      const group = new ProcessGroup(() => undefined, (name, code) => resolve([name, code]), 5);
      group.start({ name: 'misconfigured', launch: node(fatal) });
    });
    expect(await gaveUp).toEqual(['misconfigured', EXIT_NOT_RESTARTABLE]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(startsFile, 'utf8')).toHaveLength(1);
  });

  it('keeps its parent process alive while a restart is pending (a parent with nothing else to do must not exit 0)', async () => {
    // The parent is a real process running the built group: the question is whether its event loop stays alive.
    const built = path.resolve(__dirname, '..', 'dist', 'index.js');
    const parent = script(
      'parent.js',
      `const { spawn } = require('child_process');
       const { ProcessGroup } = require(${JSON.stringify(built)});
       const group = new ProcessGroup(() => undefined, () => process.exit(9), 20);
       group.start({ name: 'crasher', launch: () => spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' }) });`,
    );
    const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [parent], { stdio: 'inherit' }).once('exit', resolve));
    expect(code).toBe(9);
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
