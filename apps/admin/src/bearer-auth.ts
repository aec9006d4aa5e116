import type { RequestHandler } from 'express';
import { ApiError } from '@dropgate/http';
import { matchToken, type AdminTokenEntry } from './admin-tokens';
import { attemptLogin, type AuthThrottle } from './auth-throttle';
import { setPrincipal } from './principal';

/**
 * `Authorization: Bearer <token>` matched against the configured token hashes; the match becomes the principal.
 * With a throttle, an address that failed too often is refused (429) before its token is even looked at, so a
 * guesser learns nothing more until the block ends.
 */
export function bearerAuth(tokens: readonly AdminTokenEntry[], throttle?: AuthThrottle): RequestHandler {
  return async (req, res, next) => {
    // The scheme is case-insensitive (RFC 9110 §11.1); the rest of the header is not.
    const header = req.get('authorization');
    const m = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header ?? '');
    let principal;
    try {
      // Any Authorization header is a try (a guess, however malformed); none at all is not one.
      principal = await attemptLogin(throttle, req.ip ?? 'unknown', () => (m ? matchToken(tokens, m[1]!) : null), header !== undefined);
    } catch (err) {
      return next(err);
    }
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="dropgate-admin"');
      return next(new ApiError('unauthorized', 'a valid admin bearer token is required'));
    }
    setPrincipal(res, principal);
    next();
  };
}
