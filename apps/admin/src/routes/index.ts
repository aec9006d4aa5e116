import type { Route } from '@dropgate/http';
import type { AdminService } from '../admin-service';
import { auditRoutes } from './audit-routes';
import { campaignRoutes } from './campaign-routes';
import { codeRoutes } from './code-routes';
import { importRoutes } from './import-routes';
import { jobRoutes } from './job-routes';

export interface AdminRouteOptions {
  /** How long campaign creation waits for its generation job before answering 202. */
  createWaitMs: number;
}

/**
 * Every admin route, declared once (method, path, scope, schemas, handler): registered into Express from this
 * table and described by /openapi.json from the same schemas. Add a feature's routes as one more group here.
 */
export function adminRoutes(service: AdminService, options: AdminRouteOptions): Route[] {
  return [...campaignRoutes(service, options), ...codeRoutes(service), ...jobRoutes(service), ...importRoutes(service), ...auditRoutes(service)];
}
