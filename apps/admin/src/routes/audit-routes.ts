import { defineRoute, type Route } from '@dropgate/http';
import { auditPageView, auditQuery } from '../admin-schemas';
import type { AdminService } from '../admin-service';

export function auditRoutes(service: AdminService): Route[] {
  return [
    defineRoute({
      operationId: 'queryAudit',
      method: 'get',
      path: '/audit',
      summary: 'The audit trail, newest first: admin actions (who, what, when) and every redemption outcome',
      description: 'Keyset pagination: pass the `next` of a page as `after` to get the older entries.',
      tags: ['audit'],
      scope: 'read',
      query: auditQuery,
      responses: { 200: { description: 'One page of the trail', schema: auditPageView } },
      handler: async ({ query }, _req, res) => {
        const page = await service.audit(query);
        res.json({ entries: page.entries.map((e) => ({ ...e, at: e.at.toISOString() })), next: page.next });
      },
    }),
  ];
}
