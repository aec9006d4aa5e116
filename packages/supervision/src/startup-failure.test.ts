import { Writable } from 'node:stream';
import { createLogger, PortUnavailableError } from '@dropgate/observability';
import { EXIT_NOT_RESTARTABLE, EXIT_UNAVAILABLE, EXIT_UNEXPECTED, logStartupFailure } from './startup-failure';

/** What one failure logs: the lines written, parsed. */
function logged(err: unknown): { exitCode: number; lines: Record<string, unknown>[] } {
  let text = '';
  const destination = new Writable({ write: (chunk: Buffer, _enc, done) => void ((text += chunk.toString()), done()) });
  const exitCode = logStartupFailure(createLogger({ level: 'info', app: 'intake', destination }), 'intake', err);
  return { exitCode, lines: text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('a start-up failure: one structured line and a stable exit code', () => {
  it('a bad variable: the message naming it, exit 78, no stack', () => {
    // As @dropgate/config's ConfigError says it (structural: supervision does not depend on config).
    const { exitCode, lines } = logged(Object.assign(new Error('Invalid configuration: RATE_IP_POINTS must be an integer'), { notRestartable: true }));
    expect(exitCode).toBe(EXIT_NOT_RESTARTABLE);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'fatal', app: 'intake', failure: 'not_restartable', exitCode: 78, msg: 'intake failed to start: Invalid configuration: RATE_IP_POINTS must be an integer' });
    expect(lines[0]).not.toHaveProperty('stack');
  });

  it('a port in use is not restartable either', () => {
    const { exitCode, lines } = logged(new PortUnavailableError('PORT', 3000, 'EADDRINUSE'));
    expect(exitCode).toBe(78);
    expect(lines[0]!.msg).toMatch(/^intake failed to start: PORT 3000 is already in use \(EADDRINUSE\)/);
  });

  it('a service that did not answer (unavailable): exit 69, the message alone', () => {
    const { exitCode, lines } = logged(Object.assign(new Error('the postgres store is unreachable: gave up after 3 tries'), { unavailable: true }));
    expect(exitCode).toBe(EXIT_UNAVAILABLE);
    expect(lines[0]).toMatchObject({ failure: 'unavailable', exitCode: 69, msg: 'intake failed to start: the postgres store is unreachable: gave up after 3 tries' });
    expect(lines[0]).not.toHaveProperty('stack');
  });

  it('anything else: exit 1, the stack as a field of the same single line', () => {
    const { exitCode, lines } = logged(new TypeError('cannot read properties of undefined'));
    expect(exitCode).toBe(EXIT_UNEXPECTED);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ failure: 'unexpected', exitCode: 1, msg: 'intake failed to start: cannot read properties of undefined' });
    expect(lines[0]!.stack).toMatch(/^TypeError: cannot read properties of undefined\n\s+at /);
    expect(logged('a thrown string').lines[0]).toMatchObject({ msg: 'intake failed to start: a thrown string', stack: 'a thrown string' });
  });
});
