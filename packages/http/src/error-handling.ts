import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ApiError } from './api-error';

export function sendApiError(res: Response, err: ApiError): void {
  if (err.options.retryAfterS !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.options.retryAfterS))));
  res.status(err.status).json(err.toBody());
}

/** body-parser raises errors with a `type`; turn each into our stable code. */
function fromBodyParser(err: { type?: unknown; status?: unknown }): ApiError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'request body is too large');
    case 'entity.parse.failed':
      return new ApiError('invalid_json', 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', 'unsupported body encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ApiError('invalid_request', 'malformed request body');
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
  if (status === 413) return new ApiError('payload_too_large', 'request body is too large');
  if (status === 415) return new ApiError('unsupported_media_type', 'unsupported body encoding or charset');
  return new ApiError('invalid_request', 'malformed request');
}

export interface ErrorHandlerOptions {
  /** Unexpected errors only (never domain outcomes or 4xx): report them (Sentry) and log them. */
  onUnexpected: (err: unknown, req: Request) => void;
}

/** The last middleware of every app: JSON errors only, never a stack trace, never HTML. */
export function apiErrorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known =
      err instanceof ApiError ? err : err && typeof err === 'object' ? (fromBodyParser(err) ?? fromClientError(err)) : null;
    if (known) return sendApiError(res, known);
    options.onUnexpected(err, req);
    // Mid-stream (an export page failed): no error body can follow, and leaving the response open would hang the
    // client. Cut the connection so it sees an incomplete transfer.
    if (res.headersSent) return void res.destroy();
    sendApiError(res, new ApiError('internal_error', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendApiError(res, new ApiError('not_found', `no route for ${req.method} ${req.path}`));
};
