import { LOAD_EXIT, loadVerdict } from './load-verdict';

describe("npm run load's verdict", () => {
  const base = { errors: 0, maxFailedPct: 1 } as const;

  it('passes a run that was served, within the failure threshold', () => {
    const v = loadVerdict({ ...base, scenario: 'claim', statuses: { '202': 990, '409': 5, '503': 5 } });
    expect(v.exitCode).toBe(LOAD_EXIT.ok);
    expect(v.reason).toContain('0.5% failed');
  });

  it('fails with 3 when nothing got through: only errors, or (redeem/claim) no 2xx at all', () => {
    expect(loadVerdict({ ...base, scenario: 'claim', statuses: {}, errors: 500 }).exitCode).toBe(LOAD_EXIT.nothingServed);
    expect(loadVerdict({ ...base, scenario: 'redeem', statuses: {} }).exitCode).toBe(LOAD_EXIT.nothingServed);
    const refused = loadVerdict({ ...base, scenario: 'redeem', statuses: { '404': 700, '409': 300 } });
    expect(refused.exitCode).toBe(LOAD_EXIT.nothingServed);
    expect(refused.reason).toBe('nothing got through: no request accepted (no 2xx) of 1,000 requests (0 transport errors, 0 5xx)');
  });

  it('bots are served when they are answered, however they are refused', () => {
    expect(loadVerdict({ ...base, scenario: 'bots', statuses: { '404': 100, '429': 900 } }).exitCode).toBe(LOAD_EXIT.ok);
    expect(loadVerdict({ ...base, scenario: 'bots', statuses: { '503': 10 }, errors: 5 }).exitCode).toBe(LOAD_EXIT.nothingServed);
  });

  it('fails with 4 when transport errors and 5xx together exceed --max-failed-pct', () => {
    const v = loadVerdict({ ...base, scenario: 'claim', statuses: { '202': 980, '500': 10 }, errors: 10 });
    expect(v.exitCode).toBe(LOAD_EXIT.tooManyFailures);
    expect(v.reason).toBe('2% of the requests failed (10 transport errors, 10 5xx), over --max-failed-pct 1');
    expect(loadVerdict({ ...base, maxFailedPct: 2, scenario: 'claim', statuses: { '202': 980, '500': 10 }, errors: 10 }).exitCode).toBe(LOAD_EXIT.ok);
    expect(loadVerdict({ ...base, maxFailedPct: 100, scenario: 'claim', statuses: { '202': 1, '503': 999 } }).exitCode).toBe(LOAD_EXIT.ok);
  });
});
