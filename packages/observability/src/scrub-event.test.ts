import { createScrubber, REDACTED, scrubString } from './scrub-event';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const ADMIN_TOKEN = 'adm1n-t0ken-Very-Secret-123';

describe('Sentry event scrubbing', () => {
  const scrub = createScrubber({ secrets: [ADMIN_TOKEN, undefined, 'short'] });

  it('removes codes, customer ids and tokens from messages, exceptions, breadcrumbs, extras and request data', () => {
    const event = {
      event_id: 'abc123',
      level: 'error',
      timestamp: 1_700_000_000,
      message: `redeem failed for customerId=alice@example.com code=SYN-7KQ2-M4XP with Bearer ${ADMIN_TOKEN}`,
      exception: {
        values: [
          { type: 'Error', value: `token ${JWT} rejected; code "DG-ABCDEFGH23" is taken`, stacktrace: { frames: [{ function: 'redeem', lineno: 3 }] } },
        ],
      },
      breadcrumbs: [{ message: 'http', data: { url: '/v1/redemptions', authorization: 'Bearer xyz', body: '{"customerId":"bob","code":"ABCD2345EF"}' } }],
      extra: { customerId: 'carol', nested: { codes: ['A', 'B'], note: `admin token is ${ADMIN_TOKEN}` } },
      tags: { app: 'intake', route: '/v1/claims' },
      request: { url: 'http://x/v1/attempts/att_1', headers: { Authorization: `Bearer ${JWT}`, 'Idempotency-Key': 'k-123456789' }, data: { customerId: 'dave', code: 'X' } },
      user: { id: 'erin' },
    };
    const out = scrub(event);
    const text = JSON.stringify(out);
    for (const leak of ['alice@example.com', 'SYN-7KQ2-M4XP', ADMIN_TOKEN, JWT, 'DG-ABCDEFGH23', '"bob"', 'ABCD2345EF', 'carol', '"dave"', 'k-123456789', 'Bearer xyz']) {
      expect(text).not.toContain(leak);
    }
    expect(text).toContain(REDACTED);
    // What Sentry needs to group and show the error stays.
    expect(out.event_id).toBe('abc123');
    expect(out.level).toBe('error');
    expect(out.timestamp).toBe(1_700_000_000);
    expect(out.tags).toEqual({ app: 'intake', route: '/v1/claims' });
    expect(out.exception.values[0]!.type).toBe('Error');
    expect(out.exception.values[0]!.stacktrace.frames[0]).toEqual({ function: 'redeem', lineno: 3 });
    expect(out.request.url).toBe('http://x/v1/attempts/att_1');
    // The input is not modified.
    expect(event.extra.customerId).toBe('carol');
  });

  it('leaves ordinary error text alone', () => {
    for (const text of ['connect ECONNREFUSED 127.0.0.1:6379', 'campaign cmp_abc is not active', 'Command timed out after 500 ms', 'HTTP 503', 'at 2026-12-03T06:46:15.544Z']) {
      expect(scrubString(text)).toBe(text);
    }
  });

  it('scrubs JSON and key=value forms of sensitive fields, and short secrets are ignored', () => {
    expect(scrubString('{"customerId":"Alice","tier":"gold"}')).toBe(`{"customerId":${REDACTED},"tier":"gold"}`);
    expect(scrubString('sub=alice; aud=shop')).toBe(`sub=${REDACTED}; aud=shop`);
    expect(createScrubber({ secrets: ['short'] })({ message: 'the short word stays' }).message).toBe('the short word stays');
  });

  it('survives cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { message: 'x' };
    cyclic.self = cyclic;
    expect(() => scrub({ extra: cyclic })).not.toThrow();
  });
});
