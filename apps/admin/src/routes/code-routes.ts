import { defineRoute, parseOrThrow, type Route } from '@dropgate/http';
import type { Publication } from '@dropgate/store';
import { z } from 'zod';
import {
  campaignParams,
  codeParams,
  idempotencyKey,
  lockBody,
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
import { principalOf } from '../principal';

const tags = ['codes'];

const publicationJson = (p: Publication) => ({ ...p, createdAt: p.createdAt.toISOString() });

/** Bulk publishing, locks (with release at a time) and rollback of a campaign's codes. */
export function codeRoutes(service: AdminService): Route[] {
  return [
    defineRoute({
      operationId: 'publishCodes',
      method: 'post',
      path: '/campaigns/:id/publications',
      summary: 'Publish `count` available codes of a tier at once (all or none), to a channel or one customer',
      description: 'An `Idempotency-Key` header (8-128 visible ASCII characters) makes a retry answer the same codes.',
      tags,
      scope: 'write',
      params: campaignParams,
      body: publicationBody,
      responses: { 201: { description: 'Published', schema: publicationView } },
      handler: async ({ params, body }, req, res) => {
        const rawKey = req.get('idempotency-key');
        const key = rawKey === undefined ? undefined : parseOrThrow(idempotencyKey, rawKey, 'Idempotency-Key header');
        const publication = await service.publish(principalOf(res), params.id, body, key);
        res.status(201).json(publicationJson(publication));
      },
    }),
    defineRoute({
      operationId: 'listPublications',
      method: 'get',
      path: '/campaigns/:id/publications',
      summary: "A campaign's publications, newest first",
      tags,
      scope: 'read',
      params: campaignParams,
      query: publicationsQuery,
      responses: { 200: { description: 'Publications', schema: z.array(publicationView) } },
      handler: async ({ params, query }, _req, res) => {
        res.json((await service.publications(params.id, query.limit)).map(publicationJson));
      },
    }),
    defineRoute({
      operationId: 'lockCodes',
      method: 'post',
      path: '/campaigns/:id/locks',
      summary: 'Lock codes (a tier\'s next `count` available ones, or a list); with `releaseAt` they become available by themselves then',
      tags,
      scope: 'write',
      params: campaignParams,
      body: lockBody,
      responses: { 201: { description: 'Locked', schema: lockView } },
      handler: async ({ params, body }, _req, res) => {
        const result = await service.lock(principalOf(res), params.id, body);
        res.status(201).json({ ...result, releaseAt: result.releaseAt?.toISOString() ?? null });
      },
    }),
    defineRoute({
      operationId: 'releaseLocks',
      method: 'post',
      path: '/campaigns/:id/locks/release',
      summary: 'Release locks now: the listed codes, a tier\'s, or every lock of the campaign',
      tags,
      scope: 'write',
      params: campaignParams,
      body: releaseBody,
      responses: { 200: { description: 'Released', schema: releaseView } },
      handler: async ({ params, body }, _req, res) => {
        res.json(await service.releaseLocks(principalOf(res), params.id, body));
      },
    }),
    defineRoute({
      operationId: 'rollbackCode',
      method: 'post',
      path: '/campaigns/:id/codes/:code/rollback',
      summary: 'Take a redeemed code back (available or disabled); the attempt that held it is marked rolled back',
      tags,
      scope: 'write',
      params: codeParams,
      body: rollbackBody,
      responses: { 200: { description: 'Rolled back', schema: rollbackView } },
      handler: async ({ params, body }, _req, res) => {
        res.json(await service.rollback(principalOf(res), params.id, params.code, body));
      },
    }),
  ];
}
