import { randomBytes } from 'node:crypto';
import { ATTEMPT_ID } from '@dropgate/core';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const RANDOM_CHARS = 20;

/**
 * A new attempt id: 'att_' + 20 base32 characters (100 random bits). Used as the BullMQ job id, so it must never
 * be digits only nor contain ':' (BullMQ refuses both); the prefix makes sure of that.
 */
export function newAttemptId(): string {
  const bytes = randomBytes(RANDOM_CHARS);
  let id = 'att_';
  // 256 is a multiple of 32, so `byte % 32` favours no symbol.
  for (const byte of bytes) id += BASE32[byte % 32];
  return id;
}

/** Would this id be accepted as an attempt id (core's alphabet) and as a BullMQ job id? */
export function isValidAttemptId(value: unknown): value is string {
  return typeof value === 'string' && ATTEMPT_ID.test(value) && !/^\d+$/.test(value);
}
