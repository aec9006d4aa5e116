import { ATTEMPT_ID } from '@dropgate/core';
import { isValidAttemptId, newAttemptId } from './index';

describe('newAttemptId', () => {
  it("is 'att_' + 20 base32 characters, valid for core and BullMQ", () => {
    for (let i = 0; i < 1000; i++) {
      const id = newAttemptId();
      expect(id).toMatch(/^att_[a-z2-7]{20}$/);
      expect(ATTEMPT_ID.test(id)).toBe(true);
      expect(isValidAttemptId(id)).toBe(true);
    }
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newAttemptId));
    expect(ids.size).toBe(10_000);
  });
});

describe('isValidAttemptId', () => {
  it.each(['att_abcdefgh', 'client-chosen_id-1', 'A'.repeat(64)])('accepts %p', (id) => {
    expect(isValidAttemptId(id)).toBe(true);
  });

  it.each(['12345678', 'att:abcdef12', 'short', 'a'.repeat(65), 'has space x', '', 42, null])('refuses %p', (id) => {
    expect(isValidAttemptId(id)).toBe(false);
  });
});
