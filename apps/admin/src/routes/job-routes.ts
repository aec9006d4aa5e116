import type { Route } from '@dropgate/http';
import { campaignParams, generateCodesBody, jobAccepted, jobParams, jobStatusView } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { principalOf } from '../principal';
import { routeGroup } from './declare-route';

export function jobRoutes(service: AdminService): Route[] {
  return [
    routeGroup('codes')('generateCodes', 'POST /campaigns/:id/codes/generate', {
      scope: 'write', params: campaignParams, body: generateCodesBody, answers: [202, 'Queued; follow GET /admin/v1/jobs/{jobId}', jobAccepted],
      summary: 'Add fresh random codes to a tier, in the background',
      handler: async ({ params, body }, _req, res) => {
        const jobId = await service.generateCodes(principalOf(res), params.id, body.tier, body.count);
        res.status(202).location(`/admin/v1/jobs/${jobId}`).json({ jobId });
      },
    }),
    routeGroup('jobs')('getJob', 'GET /jobs/:jobId', {
      scope: 'read', params: jobParams, answers: [200, 'Its state and progress (and result or error once it ended)', jobStatusView],
      summary: 'Progress of a background admin job',
      handler: async ({ params }, _req, res) => void res.json(await service.job(params.jobId)),
    }),
  ];
}
