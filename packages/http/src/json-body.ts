import express, { type RequestHandler } from 'express';
import { bodyErrors } from './error-handling';

/**
 * JSON bodies only, small, strict (objects/arrays at the top level). A POST without a JSON content type is
 * refused with 415 before anything is parsed. A POST with no body at all (no Content-Length, no Transfer-Encoding,
 * as `curl -XPOST` sends it) is the empty body, `{}` (body-parser's rule for an empty one), whatever its type says.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    if (!hasBody) return next();
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      req.body = {};
      return next();
    }
    if (!req.is('application/json')) return next(bodyErrors.notJson());
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, strict: true, type: 'application/json' })];
}
