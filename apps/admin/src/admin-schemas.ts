import { z } from 'zod';
import { CAMPAIGN_STATUSES, CODE_STATES } from '@dropgate/core';
import { schemas } from '@dropgate/http';

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** Largest campaign one request may create synchronously (bigger ones wait for background generation). */
export const MAX_CODES_PER_REQUEST = 2_000_000;

export const createCampaignBody = z.strictObject({
  id: schemas.id.optional(),
  name: z.string().min(1).max(200),
  tiers: z
    .array(
      z.strictObject({
        name: schemas.tierName,
        reward: z.string().min(1).max(200),
        quantity: z.number().int().min(0).max(MAX_CODES_PER_REQUEST),
        perCustomerLimit: z.number().int().min(1).max(1000).optional(),
      }),
    )
    .min(1)
    .max(20)
    .refine((tiers) => tiers.reduce((n, t) => n + t.quantity, 0) <= MAX_CODES_PER_REQUEST, {
      message: `at most ${MAX_CODES_PER_REQUEST} codes per campaign creation in total`,
    }),
  perCustomerLimit: z.number().int().min(1).max(1000),
  code: z.strictObject({
    length: z.number().int().min(4).max(64).optional(),
    charset: z.string().min(2).max(94).optional(),
    pattern: z.string().min(1).max(80).optional(),
    prefix: z.string().max(16).optional(),
    suffix: z.string().max(16).optional(),
  }),
  status: z.enum(['active', 'draft']).optional(),
  target: z.number().int().min(1).nullable().optional(),
  startsAt: isoDate.nullable().optional(),
  endsAt: isoDate.nullable().optional(),
  redeemRequiresPublication: z.boolean().optional(),
  settings: schemas.campaignSettingsPatch.optional(),
});
export type CreateCampaignBody = z.infer<typeof createCampaignBody>;

/**
 * PATCH /campaigns/:id: the fields an operator may change on a live campaign (status has its own route; tiers and
 * the code format are fixed once codes exist). `settings` is merged field by field into the current settings.
 */
export const patchCampaignBody = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    perCustomerLimit: z.number().int().min(1).max(1000).optional(),
    target: z.number().int().min(1).nullable().optional(),
    startsAt: isoDate.nullable().optional(),
    endsAt: isoDate.nullable().optional(),
    redeemRequiresPublication: z.boolean().optional(),
    settings: schemas.campaignSettingsPatch.optional(),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined), { message: 'nothing to change' });
export type PatchCampaignBody = z.infer<typeof patchCampaignBody>;

export const statusBody = z.strictObject({ status: z.enum(CAMPAIGN_STATUSES) });

export const codesQuery = z.strictObject({
  format: z.enum(['json', 'csv']).default('json'),
  tier: schemas.tierName.optional(),
  state: z.enum(CODE_STATES).optional(),
});

export const campaignParams = z.strictObject({ id: schemas.id });

/** Responses (documentation: what the routes send back). */
const isoString = z.iso.datetime({ offset: true });

export const campaignView = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  startsAt: isoString.nullable(),
  endsAt: isoString.nullable(),
  tiers: z.array(z.object({ name: z.string(), reward: z.string(), perCustomerLimit: z.number().int().optional() })),
  perCustomerLimit: z.number().int(),
  target: z.number().int().nullable(),
  codeSpec: z.object({ length: z.number().int(), charset: z.string(), pattern: z.string().nullable(), prefix: z.string(), suffix: z.string() }),
  redeemRequiresPublication: z.boolean(),
  redeemedCount: z.number().int(),
  stopReason: z.string().nullable(),
  settings: schemas.campaignSettings,
  createdAt: isoString,
  updatedAt: isoString,
});

const countsByState = z.record(z.enum(CODE_STATES), z.number().int());

export const campaignStatsView = z.object({
  campaignId: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  target: z.number().int().nullable(),
  redemptions: z.number().int(),
  codes: z.record(z.string(), countsByState).describe('counts[tier][state]'),
  outcomes: z.record(z.string(), z.number().int()),
});

export const codeView = z.object({
  code: z.string(),
  tier: z.string(),
  state: z.enum(CODE_STATES),
  customerId: z.string().nullable(),
  redeemedAt: isoString.nullable(),
  publicationId: z.string().nullable(),
});

/** Bulk publishing, locks and rollback (codes of one campaign). */
export const MAX_CODES_PER_OPERATION = 10_000;
const channel = z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, "_", ".", "@" or "-", at most 64');

export const publicationBody = z.strictObject({
  tier: schemas.tierName,
  count: z.number().int().min(1).max(MAX_CODES_PER_OPERATION),
  channel: channel.optional(),
  customerId: schemas.customerId.optional(),
});
export type PublicationBody = z.infer<typeof publicationBody>;

/** `Idempotency-Key` header: 8-128 visible ASCII characters (as the intake's). */
export const idempotencyKey = z.string().regex(/^[\x21-\x7e]{8,128}$/, '8-128 visible ASCII characters');

export const publicationsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const publicationView = z.object({
  publicationId: z.string(),
  campaignId: z.string(),
  tier: z.string(),
  channel: z.string().nullable(),
  customerId: z.string().nullable(),
  codes: z.array(z.string()),
  createdAt: isoString,
});

const codeList = z.array(schemas.codeInput).min(1).max(MAX_CODES_PER_OPERATION);

export const lockBody = z
  .strictObject({
    tier: schemas.tierName.optional(),
    count: z.number().int().min(1).max(MAX_CODES_PER_OPERATION).optional(),
    codes: codeList.optional(),
    releaseAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
    reason: z.string().min(1).max(200).optional(),
  })
  .refine((b) => (b.codes !== undefined) !== (b.tier !== undefined || b.count !== undefined), {
    message: 'give either "codes" or "tier" and "count"',
  })
  .refine((b) => b.codes !== undefined || (b.tier !== undefined && b.count !== undefined), { message: '"tier" and "count" go together' });
export type LockBody = z.infer<typeof lockBody>;

export const lockView = z.object({
  locked: z.number().int().describe('codes moved from available to locked'),
  codes: z.array(z.string()).optional().describe('the codes locked (tier and count)'),
  releaseAt: isoString.nullable(),
  releaseJobId: z.string().nullable().describe('the delayed job that releases them at releaseAt'),
});

export const releaseBody = z
  .strictObject({ tier: schemas.tierName.optional(), codes: codeList.optional() })
  .refine((b) => !(b.tier !== undefined && b.codes !== undefined), { message: 'give "codes", or "tier", or neither (every lock of the campaign)' });
export type ReleaseBody = z.infer<typeof releaseBody>;

export const releaseView = z.object({ released: z.number().int() });

export const codeParams = z.strictObject({ id: schemas.id, code: schemas.codeInput });

export const rollbackBody = z.strictObject({ to: z.enum(['available', 'disabled']), reason: z.string().min(1).max(200) });
export type RollbackBody = z.infer<typeof rollbackBody>;

export const rollbackView = z.object({
  code: z.string(),
  state: z.enum(['available', 'disabled']),
  attemptId: z.string().nullable().describe('the attempt that held the code, now marked rolled back'),
});
