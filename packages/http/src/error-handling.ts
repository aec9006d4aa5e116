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

export interface ErrorHandlerOptions {
  /** Unexpected errors only (never domain outcomes or 4xx): report them (Sentry) and log them. */
  onUnexpected: (err: unknown, req: Request) => void;
}

/** The last middleware of every app: JSON errors only, never a stack trace, never HTML. */
export function apiErrorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof ApiError ? err : err && typeof err === 'object' ? fromBodyParser(err as { type?: unknown }) : null;
    if (known) return sendApiError(res, known);
    options.onUnexpected(err, req);
    if (res.headersSent) return;
    sendApiError(res, new ApiError('internal_error', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendApiError(res, new ApiError('not_found', `no route for ${req.method} ${req.path}`));
};
