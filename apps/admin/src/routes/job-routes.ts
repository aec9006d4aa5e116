import type { Route } from '@dropgate/http';
import { campaignParams, cancelJobBody, generateCodesBody, jobAccepted, jobParams, jobStatusView } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { noteForAudit } from '../audit-trail';
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
    routeGroup('jobs')('cancelJob', 'POST /jobs/:jobId/cancel', {
      scope: 'write', params: jobParams, body: cancelJobBody, answers: [202, 'Cancel asked for; follow GET /admin/v1/jobs/{jobId} until it is `cancelled`', jobStatusView],
      summary: 'Cancel a code generation or import: it stops at its next batch boundary, keeping what it wrote',
      description:
        'What the job wrote stays whole (each batch is one transaction) and counts in its result (`inserted`, `cancelled: true`); a generation that was to activate its campaign leaves it a draft. A job that has ended is 409 `job_finished`.',
      handler: async ({ params }, _req, res) => {
        const status = await service.cancelJob(principalOf(res), params.jobId);
        noteForAudit(res, { campaignId: status.campaignId, details: { jobId: status.jobId, name: status.name, state: status.state, done: status.done, total: status.total } });
        res.status(202).location(`/admin/v1/jobs/${status.jobId}`).json(status);
      },
    }),
  ];
}
