import type { Campaign } from '@dropgate/core';
import { defineRoute, type Route } from '@dropgate/http';
import { z } from 'zod';
import { campaignParams, campaignStatsView, campaignView, codesQuery, codeView, createCampaignBody, patchCampaignBody, statusBody } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { streamCodes } from '../codes-export';
import { principalOf } from '../principal';

function view(c: Campaign) {
  return { ...c, startsAt: c.startsAt?.toISOString() ?? null, endsAt: c.endsAt?.toISOString() ?? null };
}

const tags = ['campaigns'];

export function campaignRoutes(service: AdminService): Route[] {
  return [
    defineRoute({
      operationId: 'createCampaign',
      method: 'post',
      path: '/campaigns',
      summary: 'Create a campaign and generate its codes (a draft until every code is in, then active if asked)',
      tags,
      scope: 'write',
      body: createCampaignBody,
      responses: { 201: { description: 'Created', schema: campaignView } },
      handler: async ({ body }, _req, res) => {
        const campaign = await service.createCampaign(principalOf(res), body);
        res.status(201).location(`/admin/v1/campaigns/${campaign.id}`).json(view(campaign));
      },
    }),
    defineRoute({
      operationId: 'listCampaigns',
      method: 'get',
      path: '/campaigns',
      summary: 'List campaigns',
      tags,
      scope: 'read',
      responses: { 200: { description: 'Every campaign', schema: z.array(campaignView) } },
      handler: async (_input, _req, res) => {
        res.json((await service.listCampaigns()).map(view));
      },
    }),
    defineRoute({
      operationId: 'getCampaign',
      method: 'get',
      path: '/campaigns/:id',
      summary: 'One campaign',
      tags,
      scope: 'read',
      params: campaignParams,
      responses: { 200: { description: 'The campaign', schema: campaignView } },
      handler: async ({ params }, _req, res) => {
        res.json(view(await service.campaign(params.id)));
      },
    }),
    defineRoute({
      operationId: 'updateCampaign',
      method: 'patch',
      path: '/campaigns/:id',
      summary: 'Change name, limits, target, time window, publication rule or settings (merged field by field)',
      tags,
      scope: 'write',
      params: campaignParams,
      body: patchCampaignBody,
      responses: { 200: { description: 'The campaign after the change', schema: campaignView } },
      handler: async ({ params, body }, _req, res) => {
        res.json(view(await service.updateCampaign(principalOf(res), params.id, body)));
      },
    }),
    defineRoute({
      operationId: 'setCampaignStatus',
      method: 'post',
      path: '/campaigns/:id/status',
      summary: 'Move a campaign along its lifecycle (draft → active ⇄ paused → stopped → ended)',
      tags,
      scope: 'write',
      params: campaignParams,
      body: statusBody,
      responses: { 200: { description: 'The campaign after the move', schema: campaignView } },
      handler: async ({ params, body }, _req, res) => {
        res.json(view(await service.setStatus(principalOf(res), params.id, body.status)));
      },
    }),
    defineRoute({
      operationId: 'getCampaignStats',
      method: 'get',
      path: '/campaigns/:id/stats',
      summary: 'Codes by tier and state, redemptions, attempts by outcome',
      tags,
      scope: 'read',
      params: campaignParams,
      responses: { 200: { description: 'Counts', schema: campaignStatsView } },
      handler: async ({ params }, _req, res) => {
        res.json(await service.stats(params.id));
      },
    }),
    defineRoute({
      operationId: 'exportCodes',
      method: 'get',
      path: '/campaigns/:id/codes',
      summary: 'Export codes (streamed JSON array or CSV), filtered by tier and state',
      tags,
      scope: 'export',
      params: campaignParams,
      query: codesQuery,
      responses: {
        200: { description: 'Every matching code (JSON array, or CSV with format=csv)', schema: z.array(codeView) },
      },
      handler: async ({ params, query }, _req, res) => {
        const campaign = await service.campaign(params.id);
        await streamCodes(service.store, res, { campaignId: campaign.id, tier: query.tier, state: query.state }, query.format);
      },
    }),
  ];
}
