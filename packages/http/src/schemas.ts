import { z } from 'zod';
import { ATTEMPT_ID, CODE_MAX_LENGTH, CUSTOMER_ID_MAX_LENGTH, normalizeCustomerId } from '@dropgate/core';

/**
 * Field rules shared by every API: strings only, bounded, no control characters. Objects such as
 * `{"$ne": null}` fail the `string` type before anything reaches a store.
 */
export const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64');
export const customerId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\p{C}]+$/u, 'no control or invisible format characters')
  // One customer whatever the spelling ("Alice", "alice ", full-width): normalised here, at the edge, by core's rule.
  .transform(normalizeCustomerId)
  .pipe(z.string().min(1, 'not only spaces').max(CUSTOMER_ID_MAX_LENGTH));
/**
 * A code as typed or pasted: whitespace around it is trimmed later (core's normalizeCode), but no other control
 * character and no lone surrogate (escaped in JSON): no code holds one, and PostgreSQL refuses a NUL in text and a
 * lone surrogate in jsonb (the audit trail).
 */
export const codeInput = z
  .string()
  .min(1)
  .max(CODE_MAX_LENGTH)
  .refine((s) => !/[\p{Cc}\p{Cs}]/u.test(s.trim()), 'no control characters or lone surrogates');
/**
 * Free text an operator writes (campaign names, rewards, reasons): bounded, no control characters (a NUL cannot be
 * stored; a line break would break the CLI's tables) and no lone surrogates (stored as U+FFFD in text, refused in
 * jsonb). Format characters stay: emoji sequences need the zero-width joiner.
 */
export const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]+$/u, 'no control characters or lone surrogates');
export const tierName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, "_" or "-"');
export const attemptId = z.string().regex(ATTEMPT_ID, 'not an attempt id (use the attemptId or the Location header of the 202 answer)');

/**
 * `customerId` is required unless the campaign verifies customers (settings.customerAuth "jwt"): then the token's
 * `sub` names the customer, and a `customerId` given as well must be the same one (checked by the intake).
 */
export const redemptionRequest = z.strictObject({ campaignId: id, code: codeInput, customerId: customerId.optional() });
export const claimRequest = z.strictObject({ campaignId: id, customerId: customerId.optional(), tier: tierName.optional() });

export type RedemptionRequestBody = z.infer<typeof redemptionRequest>;
export type ClaimRequestBody = z.infer<typeof claimRequest>;

export { campaignSettings, campaignSettingsPatch } from './campaign-settings-schema';
