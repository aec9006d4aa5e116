import type { RequestHandler, Response } from 'express';
import { ApiError } from '@dropgate/http';
import type { Principal } from './admin-service';

/** The caller the auth middleware recognised (set on `res.locals`; every /admin route runs after it). */
export function principalOf(res: Response): Principal {
  const principal = (res.locals as { principal?: Principal }).principal;
  if (!principal) throw new Error('no principal: the route runs outside the admin auth');
  return principal;
}

export function setPrincipal(res: Response, principal: Principal): void {
  (res.locals as { principal?: Principal }).principal = principal;
}

/** 403 forbidden unless the caller's token holds `scope`. */
export function requireScope(scope: string): RequestHandler {
  return (_req, res, next) => {
    if (!principalOf(res).scopes.has(scope)) return next(new ApiError('forbidden', `this token lacks the "${scope}" scope`));
    next();
  };
}
