import express, { type Request, type Response } from 'express';
import type { ChangeSink } from '@dropgate/changes';
import { CampaignValidationError, CodeSpecError, type Campaign } from '@dropgate/core';
import { ApiError, apiErrorHandler, isApiErrorCode, jsonBody, notFoundHandler, parseOrThrow, schemas } from '@dropgate/http';
import { isStoreError, type CodeRecord, type Store } from '@dropgate/store';
import { codesQuery, createCampaignBody, statusBody } from './admin-schemas';
import { bearerAuth } from './bearer-auth';
import { createCampaignWithCodes } from './create-campaign';

export interface AdminDeps {
  store: Store;
  /** Every change the admin makes is published here, so every intake applies it before the answer leaves. */
  changes: ChangeSink;
  token: string;
  trustProxy: boolean | number | string | string[];
  bodyLimitBytes: number;
  metricsText: () => Promise<{ contentType: string; body: string }>;
  onUnexpected: (err: unknown, req: Request) => void;
  /** Makes a progress reporter for one campaign being created (millions of codes take a while). */
  generationProgress?: (campaignName: string) => (inserted: number, total: number) => void;
}

const EXPORT_PAGE = 5_000;

/** The admin API (bearer token on every /admin route). Nothing listens until `main.ts` says so. */
export function createAdminApp(deps: AdminDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    await deps.store.ping().catch(() => {
      throw new ApiError('unavailable', 'the store is unreachable', { retryAfterS: 1 });
    });
    res.json({ status: 'ready' });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.metricsText();
    res.type(contentType).send(body);
  });

  const admin = express.Router();
  admin.use(bearerAuth(deps.token));
  admin.use(jsonBody(deps.bodyLimitBytes));

  admin.post('/campaigns', async (req, res) => {
    const body = parseOrThrow(createCampaignBody, req.body);
    const campaign = await createCampaignWithCodes(deps.store, body, deps.generationProgress?.(body.name)).catch(translate);
    await deps.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'created' });
    res.status(201).location(`/admin/v1/campaigns/${campaign.id}`).json(campaignView(campaign));
  });

  admin.get('/campaigns', async (_req, res) => {
    res.json((await deps.store.campaigns.list()).map(campaignView));
  });

  admin.get('/campaigns/:id', async (req, res) => {
    res.json(campaignView(await mustGet(deps.store, req.params.id)));
  });

  admin.post('/campaigns/:id/status', async (req, res) => {
    const id = parseOrThrow(schemas.id, req.params.id, 'campaign id');
    const { status } = parseOrThrow(statusBody, req.body);
    const campaign = await deps.store.campaigns.setStatus(id, status, status === 'stopped' ? 'manual' : undefined).catch(translate);
    await deps.changes.publish({ kind: 'campaign', campaignId: campaign.id, action: 'status' });
    res.json(campaignView(campaign));
  });

  admin.get('/campaigns/:id/stats', async (req, res) => {
    const campaign = await mustGet(deps.store, req.params.id);
    const [codes, outcomes] = await Promise.all([deps.store.codes.counts(campaign.id), deps.store.redemptions.outcomeCounts(campaign.id)]);
    res.json({ campaignId: campaign.id, status: campaign.status, target: campaign.target, redemptions: campaign.redeemedCount, codes, outcomes });
  });

  admin.get('/campaigns/:id/codes', async (req, res) => {
    const campaign = await mustGet(deps.store, req.params.id);
    const query = parseOrThrow(codesQuery, req.query, 'query');
    await streamCodes(deps.store, res, { campaignId: campaign.id, tier: query.tier, state: query.state }, query.format);
  });

  app.use('/admin/v1', admin);
  app.use(notFoundHandler);
  app.use(apiErrorHandler({ onUnexpected: deps.onUnexpected }));
  return app;
}

function campaignView(c: Campaign) {
  return { ...c, startsAt: c.startsAt?.toISOString() ?? null, endsAt: c.endsAt?.toISOString() ?? null };
}

async function mustGet(store: Store, rawId: string | undefined): Promise<Campaign> {
  const id = parseOrThrow(schemas.id, rawId, 'campaign id');
  const campaign = await store.campaigns.get(id);
  if (!campaign) throw new ApiError('campaign_not_found', 'no such campaign');
  return campaign;
}

/** Domain and store errors → stable API errors; anything else stays unexpected. */
function translate(err: unknown): never {
  if (err instanceof CodeSpecError) throw new ApiError(err.code, err.message);
  if (err instanceof CampaignValidationError) throw new ApiError('invalid_request', err.message, { details: [{ path: err.field }] });
  if (isStoreError(err) && isApiErrorCode(err.code)) throw new ApiError(err.code, err.message);
  throw err;
}

const CSV_COLUMNS = ['code', 'tier', 'state', 'customerId', 'redeemedAt', 'publicationId'] as const;

function csvCell(value: string | Date | null | undefined): string {
  const s = value instanceof Date ? value.toISOString() : (value ?? '');
  // Quote always-risky cells; prefix formula starters so a spreadsheet never executes a customer id.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Streams every matching code page by page (keyset pagination): constant memory for millions of codes. */
async function streamCodes(
  store: Store,
  res: Response,
  filter: { campaignId: string; tier?: string | undefined; state?: CodeRecord['state'] | undefined },
  format: 'json' | 'csv',
): Promise<void> {
  res.status(200);
  if (format === 'csv') {
    res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="${filter.campaignId}-codes.csv"`);
    res.write(CSV_COLUMNS.join(',') + '\n');
  } else {
    res.type('application/json').write('[');
  }
  let after: string | undefined;
  let first = true;
  for (;;) {
    const page = await store.codes.list({ ...filter, after, limit: EXPORT_PAGE });
    if (page.length === 0) break;
    let chunk = '';
    for (const rec of page) {
      if (format === 'csv') chunk += CSV_COLUMNS.map((col) => csvCell(rec[col])).join(',') + '\n';
      else {
        chunk += (first ? '' : ',') + JSON.stringify({ code: rec.code, tier: rec.tier, state: rec.state, customerId: rec.customerId, redeemedAt: rec.redeemedAt, publicationId: rec.publicationId });
        first = false;
      }
    }
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    after = page[page.length - 1]!.code;
    if (page.length < EXPORT_PAGE) break;
  }
  res.end(format === 'csv' ? '' : ']');
}
