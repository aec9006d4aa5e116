import { defineRoute, type Route } from '@dropgate/http';
import { campaignParams, generateCodesBody, jobAccepted, jobParams, jobStatusView } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { principalOf } from '../principal';

export function jobRoutes(service: AdminService): Route[] {
  return [
    defineRoute({
      operationId: 'generateCodes',
      method: 'post',
      path: '/campaigns/:id/codes/generate',
      summary: 'Add fresh random codes to a tier, in the background',
      tags: ['codes'],
      scope: 'write',
      params: campaignParams,
      body: generateCodesBody,
      responses: { 202: { description: 'Queued; follow GET /admin/v1/jobs/{jobId}', schema: jobAccepted } },
      handler: async ({ params, body }, _req, res) => {
        const jobId = await service.generateCodes(principalOf(res), params.id, body.tier, body.count);
        res.status(202).location(`/admin/v1/jobs/${jobId}`).json({ jobId });
      },
    }),
    defineRoute({
      operationId: 'getJob',
      method: 'get',
      path: '/jobs/:jobId',
      summary: 'Progress of a background admin job',
      tags: ['jobs'],
      scope: 'read',
      params: jobParams,
      responses: { 200: { description: 'Its state and progress (and result or error once it ended)', schema: jobStatusView } },
      handler: async ({ params }, _req, res) => {
        res.json(await service.job(params.jobId));
      },
    }),
  ];
}
