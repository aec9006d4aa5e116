import { parse as parseContentType } from 'content-type';
import express, { type RequestHandler } from 'express';
import { ApiError } from './api-error';
import { bodyErrors } from './error-handling';
import { parseJsonBody } from './json-text';

/**
 * JSON bodies only, small, strict (objects/arrays at the top level, no key twice in one object). A POST without a
 * JSON content type is refused with 415 before anything is parsed. A POST with no body at all (no Content-Length, no
 * Transfer-Encoding, as `curl -XPOST` sends it) is the empty body, `{}` (body-parser's rule for an empty one), whatever
 * its type says.
 *
 * body-parser reads the text (limit, decompression, charset); `parseJsonBody` parses it, the very rule the intake's
 * fast lane parses with (express.json offers no hook to see the text it parsed, which the duplicate-key check needs).
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
  // As express.json (RFC 7159 §8.1): JSON is in a UTF charset; any other is refused before the body is read.
  const requireUtf: RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) return next();
    const charset = parseContentType(req.headers['content-type'] ?? '').parameters.charset?.toLowerCase();
    if (charset !== undefined && !charset.startsWith('utf-')) return next(new ApiError('unsupported_media_type', 'unsupported body encoding or charset'));
    next();
  };
  const parse: RequestHandler = (req, _res, next) => {
    if (typeof req.body === 'string') req.body = parseJsonBody(req.body);
    next();
  };
  return [requireJson, requireUtf, express.text({ limit: limitBytes, type: 'application/json', defaultCharset: 'utf-8' }), parse];
}
