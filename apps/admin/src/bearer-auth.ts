import type { RequestHandler } from 'express';
import { ApiError } from '@dropgate/http';
import { matchToken, type AdminTokenEntry } from './admin-tokens';
import { setPrincipal } from './principal';

/** `Authorization: Bearer <token>` matched against the configured token hashes; the match becomes the principal. */
export function bearerAuth(tokens: readonly AdminTokenEntry[]): RequestHandler {
  return (req, res, next) => {
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.get('authorization') ?? '');
    const principal = m ? matchToken(tokens, m[1]!) : null;
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="dropgate-admin"');
      return next(new ApiError('unauthorized', 'a valid admin bearer token is required'));
    }
    setPrincipal(res, principal);
    next();
  };
}
