import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * Aborts `abort` (with an error naming `name`) as soon as `child` exits or fails to spawn: a start-up wait then
 * fails at once instead of running into its timeout. Returns the function that stops watching.
 */
export function abortOnExit(child: ChildProcess, name: string, abort: AbortController): () => void {
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
    abort.abort(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready`));
  const onError = (err: Error): void => abort.abort(new Error(`${name} could not be started: ${err.message}`));
  if (hasExited(child)) onExit(child.exitCode, child.signalCode);
  child.once('exit', onExit);
  child.once('error', onError);
  return () => {
    child.off('exit', onExit);
    child.off('error', onError);
  };
}

/** SIGTERM, then SIGKILL after `killAfterMs`; resolves once the process is gone (at once if it already is). */
export function stopChild(child: ChildProcess, killAfterMs = 15_000): Promise<void> {
  // No pid: it never started (spawn failed), so there is nothing to stop and no 'exit' to wait for.
  if (child.pid === undefined || hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Whether process `pid` is still running: it exists and is not a zombie (an orphan whose parent was SIGKILLed is
 * reaped by init, or not at all in some containers, so `kill(pid, 0)` alone would count a dead one). Linux /proc.
 */
export function isRunning(pid: number): boolean {
  try {
    // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces or parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
