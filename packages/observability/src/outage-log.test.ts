import { OutageLog } from './index';

function setup(summaryEveryMs = 10_000) {
  let clock = 1_000_000;
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const reported: unknown[] = [];
  const log = new OutageLog({
    what: 'redis',
    logger: { warn: (fields, msg) => void lines.push({ msg, fields: fields as Record<string, unknown> }) },
    report: (err) => void reported.push(err),
    summaryEveryMs,
    now: () => clock,
  });
  return { log, lines, reported, advance: (ms: number) => void (clock += ms) };
}

describe('OutageLog', () => {
  it('one line when it goes, one when it is back, one report per outage, whatever the number of failures', () => {
    const { log, lines, reported, advance } = setup();
    const producer = {};
    const events = {};
    log.down(producer, new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    for (let i = 0; i < 50; i++) {
      advance(100);
      log.down(i % 2 ? producer : events, new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    }
    expect(log.isDown).toBe(true);
    advance(1000);
    log.up(producer);
    expect(log.isDown).toBe(true); // events is still down
    log.up(events);
    expect(log.isDown).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(['redis unavailable: connect ECONNREFUSED 127.0.0.1:6379, retrying', 'redis back after 6 s']);
    expect(lines[1]!.fields).toEqual({ downForS: 6, errorsLeftOut: 50 });
    expect(reported).toHaveLength(1);

    // A second outage is logged and reported again.
    log.down(events);
    expect(lines.at(-1)!.msg).toBe('redis unavailable: connection lost, retrying');
    expect(reported).toHaveLength(2);
  });

  it('at most one summary line per period while it lasts, counting what was left out', () => {
    const { log, lines, advance } = setup(10_000);
    const part = {};
    const quiet = log.unlessDown(() => {
      throw new Error('not during an outage');
    });
    log.down(part, new Error('gone'));
    for (let i = 0; i < 250; i++) {
      advance(100); // 25 s of errors, 10 a second
      quiet(new Error('Connection is closed.'));
    }
    const summaries = lines.filter((l) => l.msg.startsWith('redis still unavailable'));
    expect(summaries.map((l) => l.msg)).toEqual(['redis still unavailable after 10 s (100 errors not logged since the last line)', 'redis still unavailable after 20 s (100 errors not logged since the last line)']);
    log.up(part);
    expect(lines.at(-1)).toEqual({ msg: 'redis back after 25 s', fields: { downForS: 25, errorsLeftOut: 50 } });
  });

  it('outside an outage, errors go to their own handler; a part that never went down ends nothing', () => {
    const { log, lines } = setup();
    const handled: unknown[] = [];
    const quiet = log.unlessDown((err, where: string) => void handled.push([err, where]));
    const err = new Error('OOM command not allowed');
    quiet(err, 'depth');
    expect(handled).toEqual([[err, 'depth']]);
    log.up({}); // a first 'ready'
    expect(lines).toEqual([]);
  });
});
