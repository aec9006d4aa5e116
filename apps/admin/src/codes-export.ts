import type { Response } from 'express';
import type { CodeRecord, Store } from '@dropgate/store';
import { CSV_COLUMNS, csvCell } from './codes-csv';

const EXPORT_PAGE = 5_000;

export interface CodesFilter {
  campaignId: string;
  tier?: string | undefined;
  state?: CodeRecord['state'] | undefined;
}

/**
 * Streams every matching code page by page (keyset pagination): constant memory for millions of codes. `headersOnly`
 * (a HEAD): the same headers, and no page read.
 */
export async function streamCodes(store: Store, res: Response, filter: CodesFilter, format: 'json' | 'csv', headersOnly = false): Promise<void> {
  res.status(200);
  if (format === 'csv') res.type('text/csv').setHeader('Content-Disposition', `attachment; filename="${filter.campaignId}-codes.csv"`);
  else res.type('application/json');
  if (headersOnly) return void res.end();
  res.write(format === 'csv' ? CSV_COLUMNS.join(',') + '\n' : '[');
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
