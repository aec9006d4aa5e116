import type { RequestHandler, Response } from 'express';
import { normalizeCustomerId } from '@dropgate/core';
import type { RouteSpec } from '@dropgate/http';
import type { AuditLog } from '@dropgate/store';
import { principalOf } from './principal';

interface AuditNote {
  /** The campaign, when the path does not name it (a created campaign). */
  campaignId?: string | undefined;
  /** The code as the campaign keeps it (the path's is as typed: the audit query matches the stored form). */
  code?: string | undefined;
  /** Recorded instead of the request body (e.g. an import's counts). */
  details?: Record<string, unknown> | undefined;
}

/** What a handler may add to its audit entry. */
export function noteForAudit(res: Response, note: AuditNote): void {
  const locals = res.locals as { audit?: AuditNote };
  locals.audit = { ...locals.audit, ...note };
}

const MAX_BODY_CHARS = 2_000;

function bodyForAudit(body: unknown): unknown {
  if (body === undefined || body === null || typeof body !== 'object') return undefined;
  const text = JSON.stringify(body);
  return text.length <= MAX_BODY_CHARS ? body : { truncated: text.slice(0, MAX_BODY_CHARS) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const customerOf = (raw: string | undefined): string | null => (raw === undefined ? null : normalizeCustomerId(raw));

/**
 * Records every successful admin action of a route (write and export routes) once its response is sent: who (the
 * token's name), what (the operationId), when, on which campaign, for which customer/code when the request names
 * them, and the request body (or what the handler set). A failure to record is reported, never the caller's problem.
 */
export function auditTrail(route: RouteSpec, audit: AuditLog, onError: (err: unknown) => void): RequestHandler {
  return (req, res, next) => {
    const params = { ...(req.params as Record<string, string>) };
    res.once('finish', () => {
      // A HEAD (of an export) did nothing and sent nothing.
      if (res.statusCode >= 400 || req.method === 'HEAD') return;
      const body = req.body as Record<string, unknown> | undefined;
      const note = (res.locals as { audit?: AuditNote }).audit ?? {};
      audit
        .record({
          actor: principalOf(res).name,
          action: route.operationId,
          campaignId: params.id ?? note.campaignId ?? str(body?.campaignId) ?? null,
          // As the store keeps them and the audit query looks for them: "Alice " is customer "alice".
          customerId: customerOf(params.customerId ?? str(body?.customerId)),
          code: note.code ?? params.code ?? str(body?.code) ?? null,
          details: { status: res.statusCode, path: req.originalUrl.split('?')[0], ...(Object.keys(req.query ?? {}).length > 0 ? { query: req.query } : {}), ...(note.details ?? { body: bodyForAudit(body) }) },
        })
        .catch(onError);
    });
    next();
  };
}
