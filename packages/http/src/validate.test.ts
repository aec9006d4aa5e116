import { z } from 'zod';
import { ApiError } from './api-error';
import { parseOrThrow } from './validate';

const schema = z.strictObject({ campaignId: z.string(), code: z.string() });

function refusal(input: unknown): ApiError {
  try {
    parseOrThrow(schema, input);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseOrThrow', () => {
  it('names a few unknown keys, shortened, and counts the rest (thousands of made-up keys buy a small answer)', () => {
    const body: Record<string, string> = { campaignId: 'c', code: 'x' };
    for (let i = 0; i < 5000; i++) body[`k${i}${'z'.repeat(60)}`] = '1';
    const err = refusal(body);
    expect(err.code).toBe('invalid_request');
    expect(err.message).toContain('and 4995 more');
    expect(err.message).toContain(`"k0${'z'.repeat(38)}…"`);
    expect(err.message.length).toBeLessThan(400);
    expect(JSON.stringify(err.toBody()).length).toBeLessThan(1000);
  });

  it('names a lone unknown key, and keeps the other issues as zod words them', () => {
    expect(refusal({ campaignId: 'c', code: 'x', extra: 1 }).message).toBe('invalid request body: (root): Unrecognized key: "extra"');
    expect(refusal({ campaignId: 1, code: 'x' }).message).toMatch(/^invalid request body: campaignId: /);
  });
});
