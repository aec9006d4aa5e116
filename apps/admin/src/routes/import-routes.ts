import { ApiError, type Route } from '@dropgate/http';
import { campaignParams, importAccepted, importQuery } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { noteForAudit } from '../audit-trail';
import type { ImportFormat } from '../codes-import';
import { principalOf } from '../principal';
import { routeGroup } from './declare-route';

const FORMATS: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'text/plain': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/jsonlines': 'jsonl',
};

export function importRoutes(service: AdminService): Route[] {
  return [
    routeGroup('codes')('importCodes', 'POST /campaigns/:id/codes/import', {
      scope: 'write', params: campaignParams, query: importQuery, bodyContentTypes: Object.keys(FORMATS),
      answers: [202, 'Staged and queued; follow GET /admin/v1/jobs/{jobId} (its result is the report)', importAccepted],
      summary: "Import codes from CSV (`code[,tier]`, optional header, or the export's own CSV) or JSON lines (`{\"code\",\"tier\"?}`), as a background job",
      description:
        'The body is streamed into a staging area (Redis, at most ADMIN_IMPORT_MAX_BYTES; 413 beyond) and answered with the job that imports it: written in batches, progress in lines (`done`/`total`), resumable. Its result lists duplicates (already stored, or repeated in the file) and malformed lines, counted with their first line numbers; they never stop the import.',
      handler: async ({ params, query }, req, res) => {
        const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const format = FORMATS[type];
        if (!format) throw new ApiError('unsupported_media_type', `send the codes as ${Object.keys(FORMATS).join(', ')}`);
        // The body is staged byte for byte: compressed bytes would be imported as lines of garbage.
        const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
        if (encoding !== 'identity') throw new ApiError('unsupported_media_type', 'send the codes uncompressed (no Content-Encoding)');
        const staged = await service.importCodes(principalOf(res), params.id, req, format, query.tier);
        noteForAudit(res, { details: { import: { ...staged, format, tier: query.tier ?? null } } });
        res.status(202).location(`/admin/v1/jobs/${staged.jobId}`).json(staged);
      },
    }),
  ];
}
