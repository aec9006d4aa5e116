import { alphabetOf, parseCodesFile, scenarioRequests, wrongCodeLike } from './scenarios';

const CODES = ['DG-ABCD2345', 'DG-EFGH6789', 'DG-JKMN2345'];

describe('load scenarios', () => {
  it('bots send well-formed codes that are not the campaign\'s, a new customer each time', () => {
    const next = scenarioRequests({ scenario: 'bots', campaignId: 'c1', codes: CODES, rotateForwardedFor: false, customerPrefix: 'bot' });
    const alphabet = alphabetOf(CODES);
    const bodies = Array.from({ length: 200 }, (_, n) => JSON.parse(next(n).body!) as { code: string; customerId: string });
    for (const b of bodies) {
      expect(b.code).toMatch(new RegExp(`^DG-[A-Z]{2}[${alphabet}]{6}$`));
      expect(CODES).not.toContain(b.code);
    }
    expect(new Set(bodies.map((b) => b.customerId)).size).toBe(200);
    expect(next(0).headers['x-forwarded-for']).toBeUndefined();
  });

  it('rotates X-Forwarded-For only when told to, each request from another /24', () => {
    const next = scenarioRequests({ scenario: 'claim', campaignId: 'c1', codes: [], tier: 'gold', rotateForwardedFor: true, customerPrefix: 'x' });
    const subnets = new Set(Array.from({ length: 100 }, (_, n) => next(n).headers['x-forwarded-for']!.split('.').slice(0, 3).join('.')));
    expect(subnets.size).toBe(100);
    expect(JSON.parse(next(3).body!)).toEqual({ campaignId: 'c1', customerId: 'x-3', tier: 'gold' });
  });

  it('redeem cycles through the given codes and refuses to start without any', () => {
    const next = scenarioRequests({ scenario: 'redeem', campaignId: 'c1', codes: CODES, rotateForwardedFor: false, customerPrefix: 'r' });
    expect((JSON.parse(next(4).body!) as { code: string }).code).toBe(CODES[1]);
    expect(() => scenarioRequests({ scenario: 'redeem', campaignId: 'c1', codes: [], rotateForwardedFor: false, customerPrefix: 'r' })).toThrow(/needs codes/);
  });

  it('reads codes from a plain list or a CSV export', () => {
    expect(parseCodesFile('code,tier,state\nDG-1,a,available\n"DG-2",b,x\n\n')).toEqual(['DG-1', 'DG-2']);
    expect(parseCodesFile('DG-1\r\n DG-2 \r\n\r\nDG-3')).toEqual(['DG-1', 'DG-2', 'DG-3']);
    expect(wrongCodeLike('AB-123456', '0123456789', 4)).toMatch(/^AB-12\d{4}$/);
  });

  it("reads quoted CSV as the admin's export writes it: quoted header, quotes, commas and line breaks in cells", () => {
    // The export's columns; a customer id with a comma, a quote and a line break is quoted, "" inside.
    const exported = [
      '\ufeff"code","tier","state","customerId","redeemedAt","publicationId"',
      '"SKATE-29KS-KFSJ","tshirt","redeemed","smith, ""jr""\nline two","2026-12-04T10:00:00.000Z",""',
      'SKATE-B77D-WVEJ,tshirt,available,,,',
      // The spreadsheet guard: a cell starting with - gets a leading '.
      "'-LEAD-1234,tshirt,available,,,",
    ].join('\r\n');
    expect(parseCodesFile(exported)).toEqual(['SKATE-29KS-KFSJ', 'SKATE-B77D-WVEJ', '-LEAD-1234']);
  });

  it('takes the code column wherever the header puts it', () => {
    expect(parseCodesFile('tier,Code\ntshirt,"DG-1"\ndeck,DG-2\n')).toEqual(['DG-1', 'DG-2']);
  });

  it("bots keep a pattern's separators where they are, so their wrong codes pass the campaign's format check", () => {
    // The README's pattern, SKATE-####-####: a separator among the last six characters must not move.
    const codes = ['SKATE-29KS-KFSJ', 'SKATE-B77D-WVEJ', 'SKATE-BYQ4-Y6YW', 'SKATE-3MNP-7RTZ'];
    const next = scenarioRequests({ scenario: 'bots', campaignId: 'c1', codes, rotateForwardedFor: false, customerPrefix: 'bot' });
    const alphabet = alphabetOf(codes);
    expect(alphabet).not.toContain('-');
    for (let n = 0; n < 200; n++) {
      const { code } = JSON.parse(next(n).body!) as { code: string };
      expect(code).toMatch(/^SKATE-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(codes).not.toContain(code);
    }
    expect(wrongCodeLike('SKATE-29KS-KFSJ', alphabet, 6)).toMatch(/^SKATE-29[0-9A-Z]{2}-[0-9A-Z]{4}$/);
  });
});
