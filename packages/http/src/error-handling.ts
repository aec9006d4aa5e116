import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { ApiError } from './api-error';

/**
 * Writes a JSON text as the answer: the very bytes and headers Express's `res.status(s).json(...)` writes (with
 * `etag` and `x-powered-by` off), on any Node response, so an Express route and a plain `node:http` listener answer
 * alike.
 */
export function sendJsonText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendApiError(res: ServerResponse, err: ApiError): void {
  if (err.options.retryAfterS !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.options.retryAfterS))));
  if (err.options.challenge !== undefined) res.setHeader('WWW-Authenticate', err.options.challenge);
  sendJsonText(res, err.status, JSON.stringify(err.toBody()));
}

/** What a body that cannot be taken is answered (body-parser's errors, and the intake's own body reader). */
export const bodyErrors = {
  tooLarge: (): ApiError => new ApiError('payload_too_large', 'request body is too large'),
  invalidJson: (): ApiError => new ApiError('invalid_json', 'request body is not valid JSON'),
  duplicateKey: (): ApiError => new ApiError('invalid_json', 'request body names a key twice in one object'),
  notJson: (): ApiError => new ApiError('unsupported_media_type', 'send the body as application/json'),
  malformed: (): ApiError => new ApiError('invalid_request', 'malformed request body'),
};

/** body-parser raises errors with a `type`; turn each into our stable code. */
function fromBodyParser(err: { type?: unknown; status?: unknown }): ApiError | null {
  switch (err.type) {
    case 'entity.too.large':
      return bodyErrors.tooLarge();
    case 'entity.parse.failed':
      return bodyErrors.invalidJson();
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', 'unsupported body encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return bodyErrors.malformed();
    default:
      return null;
  }
}

/**
 * Other client errors Express raises with a 4xx status (a malformed %-escape in the path, a corrupt compressed
 * body): the client's fault, so a 4xx with our envelope, never a 500 reported as unexpected.
 */
function fromClientError(err: { status?: unknown; statusCode?: unknown }): ApiError | null {
  const status = typeof err.status === 'number' ? err.status : err.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (status === 413) return bodyErrors.tooLarge();
  if (status === 415) return new ApiError('unsupported_media_type', 'unsupported body encoding or charset');
  return new ApiError('invalid_request', 'malformed request');
}

export interface ErrorHandlerOptions<R extends IncomingMessage = Request> {
  /** Unexpected errors only (never domain outcomes or 4xx): report them (Sentry) and log them. */
  onUnexpected: (err: unknown, req: R) => void;
}

/**
 * Answers an error the way every app does (Express's last middleware, and the intake's plain `node:http` fast lane):
 * a known one with its code and status, anything else reported and answered `500 internal_error`.
 */
export function answerError<R extends IncomingMessage>(err: unknown, req: R, res: ServerResponse, options: ErrorHandlerOptions<R>): void {
  const known = err instanceof ApiError ? err : err && typeof err === 'object' ? (fromBodyParser(err) ?? fromClientError(err)) : null;
  if (known) return sendApiError(res, known);
  options.onUnexpected(err, req);
  // Mid-stream (an export page failed): no error body can follow, and leaving the response open would hang the
  // client. Cut the connection so it sees an incomplete transfer.
  if (res.headersSent) return void res.destroy();
  sendApiError(res, new ApiError('internal_error', 'internal error'));
}

/** The last middleware of every app: JSON errors only, never a stack trace, never HTML. */
export function apiErrorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => answerError(err, req, res, options);
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendApiError(res, new ApiError('not_found', `no route for ${req.method} ${req.path}`));
};
