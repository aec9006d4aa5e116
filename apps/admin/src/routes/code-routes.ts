import { parseOrThrow, type Route } from '@dropgate/http';
import type { Publication } from '@dropgate/store';
import { z } from 'zod';
import {
  campaignParams,
  codeParams,
  disableBody,
  disableView,
  idempotencyKey,
  lockBody,
  lockGroupView,
  lockView,
  publicationBody,
  publicationsQuery,
  publicationView,
  releaseBody,
  releaseView,
  rollbackBody,
  rollbackView,
} from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { noteForAudit } from '../audit-trail';
import { principalOf } from '../principal';
import { routeGroup } from './declare-route';

const declare = routeGroup('codes');

const publicationJson = (p: Publication) => ({ ...p, createdAt: p.createdAt.toISOString() });

/** Bulk publishing, locks (with release at a time) and rollback of a campaign's codes. */
export function codeRoutes(service: AdminService): Route[] {
  return [
    declare('publishCodes', 'POST /campaigns/:id/publications', {
      scope: 'write', params: campaignParams, body: publicationBody, answers: [201, 'Published', publicationView],
      summary: 'Publish `count` available codes of a tier at once (all or none), to a channel or one customer',
      description: 'An `Idempotency-Key` header (8-128 visible ASCII characters) makes a retry answer the same codes.',
      handler: async ({ params, body }, req, res) => {
        const rawKey = req.get('idempotency-key');
        const key = rawKey === undefined ? undefined : parseOrThrow(idempotencyKey, rawKey, 'Idempotency-Key header');
        res.status(201).json(publicationJson(await service.publish(principalOf(res), params.id, body, key)));
      },
    }),
    declare('listPublications', 'GET /campaigns/:id/publications', {
      scope: 'read', params: campaignParams, query: publicationsQuery, answers: [200, 'Publications', z.array(publicationView)],
      summary: "A campaign's publications, newest first",
      handler: async ({ params, query }, _req, res) => void res.json((await service.publications(params.id, query.limit)).map(publicationJson)),
    }),
    declare('lockCodes', 'POST /campaigns/:id/locks', {
      scope: 'write', params: campaignParams, body: lockBody, answers: [201, 'Locked', lockView],
      summary: "Lock codes (a tier's next `count` available ones, or a list); with `releaseAt` they become available by themselves then",
      handler: async ({ params, body }, _req, res) => {
        const result = await service.lock(principalOf(res), params.id, body);
        res.status(201).json({ ...result, releaseAt: result.releaseAt?.toISOString() ?? null });
      },
    }),
    declare('listLocks', 'GET /campaigns/:id/locks', {
      scope: 'read', params: campaignParams, answers: [200, 'The locks, timed ones first (soonest first)', z.array(lockGroupView)],
      summary: 'The codes locked now, by tier, release time and reason',
      handler: async ({ params }, _req, res) => void res.json((await service.locks(params.id)).map((g) => ({ ...g, releaseAt: g.releaseAt?.toISOString() ?? null }))),
    }),
    declare('releaseLocks', 'POST /campaigns/:id/locks/release', {
      scope: 'write', params: campaignParams, body: releaseBody, answers: [200, 'Released', releaseView],
      summary: "Release locks now: the listed codes, a tier's, or every lock of the campaign",
      handler: async ({ params, body }, _req, res) => void res.json(await service.releaseLocks(principalOf(res), params.id, body)),
    }),
    declare('disableCodes', 'POST /campaigns/:id/codes/disable', {
      scope: 'write', params: campaignParams, body: disableBody, answers: [200, 'Disabled', disableView],
      summary: 'Take listed codes out of circulation for good (available, locked or published ones); a redemption of one answers code_disabled',
      handler: async ({ params, body }, _req, res) => void res.json(await service.disable(principalOf(res), params.id, body)),
    }),
    declare('rollbackCode', 'POST /campaigns/:id/codes/:code/rollback', {
      scope: 'write', params: codeParams, body: rollbackBody, answers: [200, 'Rolled back', rollbackView],
      summary: 'Take a redeemed code back (available or disabled); the attempt that held it is marked rolled back',
      handler: async ({ params, body }, _req, res) => {
        const result = await service.rollback(principalOf(res), params.id, params.code, body);
        noteForAudit(res, { code: result.code });
        res.json(result);
      },
    }),
  ];
}
