import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from '@dropgate/http';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares a presented token with the admin token in constant time (hashing first makes the lengths equal). */
export function tokenVerifier(token: string): (presented: string) => boolean {
  const expected = digest(token);
  return (presented) => timingSafeEqual(digest(presented), expected);
}

/** `Authorization: Bearer <token>`, checked by `tokenVerifier`. */
export function bearerAuth(token: string): RequestHandler {
  const verify = tokenVerifier(token);
  return (req, res, next) => {
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.get('authorization') ?? '');
    if (!m || !verify(m[1]!)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="dropgate-admin"');
      return next(new ApiError('unauthorized', 'a valid admin bearer token is required'));
    }
    next();
  };
}
