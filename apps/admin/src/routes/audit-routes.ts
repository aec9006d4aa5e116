import type { AuditEntryView } from '@dropgate/admin-client';
import type { Route } from '@dropgate/http';
import { auditPageView, auditQuery } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { routeGroup } from './declare-route';

export function auditRoutes(service: AdminService): Route[] {
  return [
    routeGroup('audit')('queryAudit', 'GET /audit', {
      scope: 'read', query: auditQuery, answers: [200, 'One page of the trail', auditPageView],
      summary: 'The audit trail, newest first: admin actions (who, what, when) and every redemption outcome',
      description: 'Keyset pagination: pass the `next` of a page as `after` to get the older entries.',
      handler: async ({ query }, _req, res) => {
        const page = await service.audit(query);
        const entries: AuditEntryView[] = page.entries.map((e) => ({ ...e, at: e.at.toISOString() }));
        res.json({ entries, next: page.next });
      },
    }),
  ];
}
