import express, { type RequestHandler } from 'express';
import { bodyErrors } from './error-handling';

/**
 * JSON bodies only, small, strict (objects/arrays at the top level). A POST without a JSON content type is
 * refused with 415 before anything is parsed.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    if (hasBody && !req.is('application/json')) return next(bodyErrors.notJson());
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, strict: true, type: 'application/json' })];
}
