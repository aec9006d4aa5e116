import type { Route } from '@dropgate/http';
import type { AdminService } from '../admin-service';
import { campaignRoutes } from './campaign-routes';
import { codeRoutes } from './code-routes';

/**
 * Every admin route, declared once (method, path, scope, schemas, handler): registered into Express from this
 * table and described by /openapi.json from the same schemas. Add a feature's routes as one more group here.
 */
export function adminRoutes(service: AdminService): Route[] {
  return [...campaignRoutes(service), ...codeRoutes(service)];
}
