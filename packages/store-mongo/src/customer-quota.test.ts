import { quotaAllows } from './customer-quota';

describe('quotaAllows', () => {
  const scopes = [
    { scope: 'campaign', limit: 2 },
    { scope: 'tier:premium', limit: 1 },
  ];

  it('allows one more unit only while every scope has room', () => {
    expect(quotaAllows(scopes, new Map())).toBe(true);
    expect(quotaAllows(scopes, new Map([['campaign', ['a1']]]))).toBe(true);
    expect(quotaAllows(scopes, new Map([['campaign', ['a1', 'a2']]]))).toBe(false);
    expect(quotaAllows(scopes, new Map([['tier:premium', ['a1']]]))).toBe(false);
  });
});
