import { Writable } from 'node:stream';
import { createLogger, redact } from './index';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('redact', () => {
  it('gives a short, stable sha256 prefix', () => {
    expect(redact('customer-42')).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(redact('customer-42')).toBe(redact('customer-42'));
    expect(redact('customer-42')).not.toBe(redact('customer-43'));
  });
});

describe('createLogger', () => {
  it('writes JSON lines with app and level names', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', app: 'intake', destination: out.stream });
    logger.info({ attemptId: 'att_x' }, 'accepted');
    logger.debug('not written at info');
    expect(out.lines()).toEqual([expect.objectContaining({ app: 'intake', level: 'info', msg: 'accepted', attemptId: 'att_x' })]);
  });

  it('never writes full codes or customer ids, at any of the usual depths', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', app: 'worker', destination: out.stream });
    logger.info({ code: 'SECRETCODE1', customerId: 'cust-1', job: { data: { code: 'SECRETCODE2', customerId: 'cust-2' } } }, 'attempt');
    logger.child({ customerId: 'cust-3' }).info({ req: { body: { code: 'SECRETCODE3' } } }, 'child');
    const text = JSON.stringify(out.lines());
    for (const secret of ['SECRETCODE1', 'SECRETCODE2', 'SECRETCODE3', 'cust-1', 'cust-2', 'cust-3']) expect(text).not.toContain(secret);
    const [first, second] = out.lines();
    expect(first).toMatchObject({ code: redact('SECRETCODE1'), customerId: redact('cust-1'), job: { data: { code: redact('SECRETCODE2') } } });
    expect(second).toMatchObject({ customerId: redact('cust-3'), req: { body: { code: redact('SECRETCODE3') } } });
  });

  it('replaces credentials outright', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', app: 'admin', destination: out.stream });
    logger.info({ req: { headers: { authorization: 'Bearer abc', 'x-admin-token': 'tok', cookie: 'c=1', host: 'h' } } }, 'request');
    expect(out.lines()[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', 'x-admin-token': '[redacted]', cookie: '[redacted]', host: 'h' } },
    });
  });
});
