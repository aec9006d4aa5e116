import { ApiError, type Route } from '@dropgate/http';
import { campaignParams, importQuery, importReportView } from '../admin-schemas';
import type { AdminService } from '../admin-service';
import { noteForAudit } from '../audit-trail';
import type { ImportFormat } from '../codes-import';
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
      answers: [200, 'What was imported, and what was not', importReportView],
      summary: 'Import codes from CSV (`code[,tier]`, optional header) or JSON lines (`{"code","tier"?}`), streamed',
      description:
        'The body is read line by line and written in batches (memory stays bounded). Duplicates (already stored, or repeated in the file) and malformed lines are counted and their first line numbers listed; they never stop the import.',
      handler: async ({ params, query }, req, res) => {
        const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const format = FORMATS[type];
        if (!format) throw new ApiError('unsupported_media_type', `send the codes as ${Object.keys(FORMATS).join(', ')}`);
        const report = await service.importCodes(params.id, req, format, query.tier);
        noteForAudit(res, { details: { report: { lines: report.lines, inserted: report.inserted, duplicates: report.duplicates, malformed: report.malformed } } });
        res.json(report);
      },
    }),
  ];
}
