import { isOutcome, isSuccessOutcome, OUTCOME_NAMES, OUTCOMES, type Outcome } from './outcomes';

const EXPECTED: Record<Outcome, boolean> = {
  redeemed: true,
  claimed: true,
  already_redeemed: true,
  code_not_found: false,
  code_already_used: false,
  code_locked: false,
  code_disabled: false,
  campaign_not_active: false,
  customer_limit_reached: false,
  sold_out: false,
  source_blocked: false,
};

describe('outcome vocabulary', () => {
  it('is exactly the eleven names, in declaration order', () => {
    expect(OUTCOME_NAMES).toEqual([
      'redeemed',
      'claimed',
      'already_redeemed',
      'code_not_found',
      'code_already_used',
      'code_locked',
      'code_disabled',
      'campaign_not_active',
      'customer_limit_reached',
      'sold_out',
      'source_blocked',
    ]);
    expect(new Set(OUTCOME_NAMES).size).toBe(11);
    expect(Object.keys(OUTCOMES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s has success = %s', (name, success) => {
    expect(OUTCOMES[name as Outcome].success).toBe(success);
    expect(isSuccessOutcome(name as Outcome)).toBe(success);
  });

  it('has exactly three successes: redeemed, claimed, already_redeemed', () => {
    expect(OUTCOME_NAMES.filter(isSuccessOutcome)).toEqual(['redeemed', 'claimed', 'already_redeemed']);
  });

  it('returns a real boolean from isSuccessOutcome', () => {
    for (const name of OUTCOME_NAMES) expect(typeof isSuccessOutcome(name)).toBe('boolean');
  });
});

describe('isOutcome', () => {
  it.each(OUTCOME_NAMES)('accepts %s', (name) => {
    expect(isOutcome(name)).toBe(true);
  });

  it.each([
    'toString',
    'constructor',
    'hasOwnProperty',
    'valueOf',
    '__proto__',
    'isPrototypeOf',
    'propertyIsEnumerable',
    '__defineGetter__',
  ])('rejects the prototype key %s', (key) => {
    expect(isOutcome(key)).toBe(false);
  });

  it.each(['', 'REDEEMED', 'Redeemed', ' redeemed', 'redeemed ', 'redeem', 'success', 'error', 'code-not-found', 'sold out'])(
    'rejects the near-miss string %j',
    (value) => {
      expect(isOutcome(value)).toBe(false);
    },
  );

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['number', 0],
    ['boolean', true],
    ['object', { redeemed: true }],
    ['array', ['redeemed']],
    ['String object', new String('redeemed')],
    ['symbol', Symbol('redeemed')],
    ['function', () => 'redeemed'],
  ])('rejects a non-string value (%s)', (_label, value) => {
    expect(isOutcome(value)).toBe(false);
  });
});
