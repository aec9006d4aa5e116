import type { IRouter, RequestHandler } from 'express';
import { ApiError } from './api-error';
import { sendApiError } from './error-handling';
import type { RouteSpec } from './route-table';

/** A path a router answers and a method it answers it for (a declared route, or a hand-registered one). */
export type MethodAndPath = Pick<RouteSpec, 'method' | 'path'>;

/** The order `Allow` lists methods in, whatever order the routes were declared in. */
const ALLOW_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The answers for a known path asked with a method it has no route for, registered after the routes (a route's own
 * method never reaches them) and before the 404: `OPTIONS` → 204 with `Allow`, any other → 405 `method_not_allowed`
 * with `Allow` (RFC 9110 §15.5.6). `Allow` lists the path's methods, HEAD wherever GET is (Express answers HEAD with
 * the GET route), and OPTIONS. Unknown paths still fall through to the 404.
 */
export function answerOtherMethods(router: IRouter, routes: readonly MethodAndPath[]): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    const methods = methodsByPath.get(path) ?? new Set<string>();
    methods.add(method.toUpperCase());
    if (method === 'get') methods.add('HEAD');
    methodsByPath.set(path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    methods.add('OPTIONS');
    router.all(path, otherMethod(ALLOW_ORDER.filter((m) => methods.has(m)).join(', ')));
  }
}

/**
 * The same answers for every path under a mount whose routes someone else declares (bull-board's, read-only): a
 * request in `methods` goes on to them, any other gets 204 (OPTIONS) or 405, with `Allow` listing `methods`.
 */
export function onlyMethods(methods: ReadonlyArray<'get' | 'post' | 'put' | 'patch' | 'delete'>): RequestHandler {
  const allowed = new Set(methods.map((m) => m.toUpperCase()));
  if (allowed.has('GET')) allowed.add('HEAD');
  const answer = otherMethod(ALLOW_ORDER.filter((m) => allowed.has(m) || m === 'OPTIONS').join(', '));
  return (req, res, next) => (allowed.has(req.method) ? next() : answer(req, res, next));
}

function otherMethod(allow: string): RequestHandler {
  return (req, res) => {
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    sendApiError(res, new ApiError('method_not_allowed', `${req.method} is not allowed here (allowed: ${allow})`));
  };
}
