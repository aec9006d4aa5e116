import { StringDecoder } from 'node:string_decoder';
import { matchesCodeSpec, normalizeCode, type Campaign, type CodeImportReport } from '@dropgate/core';
import { hasDuplicateKeys } from '@dropgate/http';
import type { StagedUpload, UploadStaging } from '@dropgate/queue';
import type { NewCode, Store } from '@dropgate/store';
import { csvHeader, DEFAULT_CSV_LAYOUT, parseCsvLine, type CsvLayout } from './codes-csv';

/** Codes per store call (one transaction each). */
const IMPORT_BATCH = 5_000;
/** Longer lines are malformed (and never buffered whole: memory stays bounded whatever is sent). */
const MAX_LINE = 1_024;
/** How many duplicate / malformed line numbers the report lists. */
export const REPORT_FIRST = 20;

export type ImportFormat = 'csv' | 'jsonl';
export type ImportReport = CodeImportReport;

/** Where an import got to: every line up to `line` is in `report` (and its codes in the store). */
export interface ImportResume {
  line: number;
  report: ImportReport;
}

export interface ImportOptions {
  /** Continue after this point (a retried job): its lines are skipped, its report carried on. */
  resume?: ImportResume | undefined;
  /** After each batch written (and every few thousand lines without one): a point to resume from. */
  onProgress?: ((at: ImportResume) => Promise<void> | void) | undefined;
  /** Asked before the first line and at each resume point: true stops the import there (a cancel). */
  shouldStop?: (() => Promise<boolean>) | undefined;
}

/** Splits a byte stream into lines (LF or CRLF) without ever holding more than MAX_LINE characters of one. */
async function* lines(input: AsyncIterable<Buffer | string>): AsyncGenerator<{ text: string | null }> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let tooLong = false;
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? raw : decoder.write(raw);
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (tooLong || pending.length + piece.length > MAX_LINE) yield { text: null };
      else yield { text: (pending + piece).replace(/\r$/, '') };
      pending = '';
      tooLong = false;
    }
    const rest = chunk.slice(start);
    if (!tooLong && pending.length + rest.length > MAX_LINE) {
      tooLong = true;
      pending = '';
    } else if (!tooLong) pending += rest;
  }
  pending += decoder.end();
  if (tooLong) yield { text: null };
  else if (pending.replace(/\r$/, '') !== '') yield { text: pending.replace(/\r$/, '') };
}

/** A staged upload and the size of its import: `lines` counts lines of codes (a CSV header is not one). */
export interface StagedCodes extends StagedUpload {
  /** 1 when the upload starts with a CSV header (line 1, skipped by the import), else 0. */
  headerLines: 0 | 1;
}

/**
 * Stages an upload for its import job, noting its first line on the way (the bytes are not held: at most one line's
 * worth), so the job's total — and so its progress and the 202's `lines` — counts codes, not a CSV header.
 */
export async function stageImport(uploads: UploadStaging, input: AsyncIterable<Buffer | string>, format: ImportFormat): Promise<StagedCodes> {
  let first: string | undefined;
  const staged = await uploads.stage(notingFirstLine(input, (line) => (first = line)));
  const headerLines = format === 'csv' && first !== undefined && csvHeader(first) !== null ? 1 : 0;
  return { ...staged, lines: staged.lines - headerLines, headerLines };
}

/** Passes `input` through, telling `note` its first line (as `lines` reads it) once known; a longer one is no header. */
async function* notingFirstLine(input: AsyncIterable<Buffer | string>, note: (line: string) => void): AsyncGenerator<Buffer | string> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of input) {
    if (head !== undefined) {
      head = Buffer.concat([head, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
      const newline = head.indexOf(0x0a);
      if (newline !== -1) note(head.subarray(0, newline).toString('utf8').replace(/\r$/, ''));
      if (newline !== -1 || head.length > MAX_LINE * 4) head = undefined;
    }
    yield chunk;
  }
  if (head !== undefined) note(head.toString('utf8').replace(/\r$/, ''));
}

type Parsed = { code: string; tier: string | undefined } | { problem: string } | null;

function parseCsv(text: string, layout: CsvLayout): Parsed {
  const cells = parseCsvLine(text);
  if (!cells) return { problem: 'a quote left open, or text after a closing quote' };
  if (cells.length > layout.cells) return { problem: layout === DEFAULT_CSV_LAYOUT ? 'more than two columns (code,tier; other columns need a header naming them)' : `more than the header's ${layout.cells} columns` };
  const tier = layout.tier === undefined ? undefined : cells[layout.tier];
  return { code: cells[layout.code] ?? '', tier: tier === '' ? undefined : tier };
}

function parseJsonLine(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  // The request bodies' rule: a key twice is not taken (the check and the use could read different copies).
  if (hasDuplicateKeys(text, value)) return { problem: 'not JSON: a key twice in one object' };
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { problem: 'not a JSON object' };
  const { code, tier, ...extra } = value as Record<string, unknown>;
  if (Object.keys(extra).length > 0) return { problem: 'unknown fields (only code and tier)' };
  if (typeof code !== 'string') return { problem: 'code must be a string' };
  if (tier !== undefined && typeof tier !== 'string') return { problem: 'tier must be a string' };
  return { code, tier };
}

/**
 * Streams codes from a CSV (`code[,tier]`, or the export's own CSV: see `codes-csv.ts`) or JSON-lines (`{"code","tier"?}`) upload into the
 * store in batches: memory stays bounded whatever the size. Resumable: `options.onProgress` hears of each point
 * it may be resumed from, and `options.resume` continues after one (a batch written just before a crash and not yet
 * marked is written again: its codes then count as duplicates, at most one batch's worth). A line is malformed when it cannot be parsed, names an
 * unknown tier or none (and no default was given), or its code is not of the campaign's format (the intake would
 * refuse it); a code already stored (or earlier in the file) is a duplicate. Neither stops the import: both are
 * counted and the first REPORT_FIRST line numbers listed.
 */
export async function importCodes(
  store: Store,
  campaign: Campaign,
  input: AsyncIterable<Buffer | string>,
  format: ImportFormat,
  defaultTier: string | undefined,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const tiers = new Set(campaign.tiers.map((t) => t.name));
  const report: ImportReport = options.resume ? structuredClone(options.resume.report) : { lines: 0, inserted: 0, duplicates: 0, malformed: 0, firstDuplicates: [], firstMalformed: [] };
  const skipThrough = options.resume?.line ?? 0;
  let marked = skipThrough;
  /** A resume point: only where every line read so far is in the report and its codes in the store. */
  const mark = async (line: number) => {
    marked = line;
    await options.onProgress?.({ line, report: structuredClone(report) });
  };
  const stop = options.shouldStop ?? (() => Promise.resolve(false));
  if (await stop()) return { ...report, cancelled: true };
  let batch: NewCode[] = [];
  let batchLines: number[] = [];
  const malformed = (line: number, problem: string) => {
    report.malformed++;
    if (report.firstMalformed.length < REPORT_FIRST) report.firstMalformed.push({ line, problem });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await store.codes.insert(campaign.id, batch);
    report.inserted += result.inserted;
    report.duplicates += result.duplicates.length;
    if (result.duplicates.length > 0 && report.firstDuplicates.length < REPORT_FIRST) {
      // Which lines: each duplicate code's occurrences, the last ones first taken as the rejected (the first insert wins).
      const left = new Map<string, number>();
      for (const code of result.duplicates) left.set(code, (left.get(code) ?? 0) + 1);
      const found: Array<{ line: number; code: string }> = [];
      for (let i = batch.length - 1; i >= 0; i--) {
        const code = batch[i]!.code;
        const n = left.get(code) ?? 0;
        if (n > 0) {
          left.set(code, n - 1);
          found.push({ line: batchLines[i]!, code });
        }
      }
      found.sort((a, b) => a.line - b.line);
      report.firstDuplicates.push(...found.slice(0, REPORT_FIRST - report.firstDuplicates.length));
    }
    batch = [];
    batchLines = [];
  };

  let lineNo = 0;
  let layout = DEFAULT_CSV_LAYOUT;
  for await (const { text } of lines(input)) {
    lineNo++;
    // A header is read even when resuming past it: it says where the code and the tier are.
    const header = lineNo === 1 && format === 'csv' && text !== null ? csvHeader(text) : null;
    if (header) layout = header;
    if (lineNo <= skipThrough || header) continue;
    if (batch.length === 0 && lineNo - 1 - marked >= IMPORT_BATCH) {
      await mark(lineNo - 1);
      if (await stop()) return { ...report, cancelled: true };
    }
    if (text === null) {
      report.lines++;
      malformed(lineNo, `longer than ${MAX_LINE} characters`);
      continue;
    }
    if (text.trim() === '') continue;
    report.lines++;
    const parsed = format === 'csv' ? parseCsv(text, layout) : parseJsonLine(text);
    if (!parsed || 'problem' in parsed) {
      malformed(lineNo, parsed?.problem ?? 'empty');
      continue;
    }
    const tier = parsed.tier ?? defaultTier;
    if (tier === undefined) {
      malformed(lineNo, 'no tier (name one on the line or pass ?tier=)');
      continue;
    }
    if (!tiers.has(tier)) {
      malformed(lineNo, `unknown tier "${tier.slice(0, 40)}"`);
      continue;
    }
    const code = normalizeCode(campaign.codeSpec, parsed.code);
    if (!matchesCodeSpec(campaign.codeSpec, code)) {
      malformed(lineNo, 'not a code of this campaign\'s format');
      continue;
    }
    batch.push({ code, tier });
    batchLines.push(lineNo);
    if (batch.length >= IMPORT_BATCH) {
      await flush();
      await mark(lineNo);
      // A batch boundary: everything read is written and reported, so a cancel leaves nothing half done.
      if (await stop()) return { ...report, cancelled: true };
    }
  }
  await flush();
  if (lineNo > marked) await mark(lineNo);
  return report;
}
