import { OUTCOME_NAMES } from '@dropgate/core';
import { openApiDocument, schemas, type RouteSpec } from '@dropgate/http';
import { z } from 'zod';
import { IDEMPOTENCY_KEY } from './idempotency';

/**
 * The intake's public routes, declared once: `app.ts` registers each at this method and path (with its own
 * hand-tuned handlers, which parse with these very schemas), and /openapi.json describes them from here.
 */

const attemptStatus = z.object({
  attemptId: z.string(),
  status: z.enum(['queued', 'processing', 'done', 'failed']),
  outcome: z.enum(OUTCOME_NAMES as [string, ...string[]]).optional(),
  code: z.string().optional(),
  tier: z.string().optional(),
  reward: z.string().optional(),
});

const LOCATION = 'Where to read the attempt: `/v1/attempts/{attemptId}`';
const PREFERENCE_APPLIED = '`wait=N` when the request asked to wait (`Prefer: wait=N`), N as capped by the server';

const accepted = {
  200: { description: 'Finished while the client waited (`Prefer: wait=N`): the recorded outcome', schema: attemptStatus, headers: { Location: LOCATION, 'Preference-Applied': PREFERENCE_APPLIED } },
  202: { description: 'Accepted and queued; poll the Location (/v1/attempts/{attemptId})', schema: attemptStatus, headers: { Location: LOCATION, 'Preference-Applied': PREFERENCE_APPLIED } },
};

const preferWait = z
  .string()
  .describe('`wait=N` (RFC 7240): wait up to N seconds (capped by the server, PREFER_WAIT_MAX_S) for the outcome instead of answering at once')
  .optional();

const attemptHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(IDEMPOTENCY_KEY)
    .describe('8-128 visible ASCII characters: a retry with the same key and the same request (however spelled) returns the same attempt; the same key with another campaign, code or tier is 422 idempotency_key_reused')
    .optional(),
  Prefer: preferWait,
});

export const INTAKE_ROUTES = {
  redeem: {
    operationId: 'redeemCode',
    method: 'post',
    path: '/v1/redemptions',
    summary: 'Redeem a specific code',
    tags: ['public'],
    headers: attemptHeaders,
    body: schemas.redemptionRequest,
    responses: accepted,
  },
  claim: {
    operationId: 'claimCode',
    method: 'post',
    path: '/v1/claims',
    summary: 'Claim the next available code of a tier',
    tags: ['public'],
    headers: attemptHeaders,
    body: schemas.claimRequest,
    responses: accepted,
  },
  campaign: {
    operationId: 'getPublicCampaign',
    method: 'get',
    path: '/v1/campaigns/:campaignId',
    summary: 'Public facts about a campaign (from the cached catalog)',
    tags: ['public'],
    params: z.strictObject({ campaignId: schemas.id }),
    responses: {
      200: {
        description: 'The campaign',
        schema: z.object({
          id: z.string(),
          name: z.string(),
          open: z.boolean(),
          startsAt: z.iso.datetime().nullable(),
          endsAt: z.iso.datetime().nullable(),
          tiers: z.array(z.object({ name: z.string(), reward: z.string() })),
        }),
      },
    },
  },
  attempt: {
    operationId: 'getAttempt',
    method: 'get',
    path: '/v1/attempts/:attemptId',
    summary: 'Where an attempt is, and its outcome once done',
    description: 'With `Prefer: wait=N` an unfinished attempt is answered once it finishes, or after N seconds with its state then.',
    tags: ['public'],
    params: z.strictObject({ attemptId: schemas.attemptId }),
    headers: z.object({ Prefer: preferWait }),
    responses: { 200: { description: 'The attempt', schema: attemptStatus, headers: { 'Preference-Applied': PREFERENCE_APPLIED } } },
  },
} as const satisfies Record<string, RouteSpec>;

/** Built once at start-up and served as a constant string. */
export function intakeOpenApi(): string {
  return JSON.stringify(
    openApiDocument({ title: 'Dropgate public intake API', version: '1', groups: [{ prefix: '', routes: Object.values(INTAKE_ROUTES) }] }),
  );
}
