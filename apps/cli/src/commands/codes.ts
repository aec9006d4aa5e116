import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ImportReportView } from '@dropgate/admin-client';
import type { CodeState } from '@dropgate/core';
import { Option, type Command } from 'commander';
import type { Act } from '../action';
import type { CommandContext } from '../context';
import { UsageError } from '../exit-codes';
import { exportProgress } from '../export-progress';
import { waitWithProgress } from '../job-progress';
import { emit, notFoundLines } from '../output';
import { codeState, list, positiveInt } from '../parse-options';

/** A job-returning request: waits with a progress bar unless --no-wait, then prints the final job. */
async function followJob({ client, out }: CommandContext, accepted: { jobId: string }, label: string, wait: boolean): Promise<void> {
  if (!wait) {
    emit(out, accepted, () => [`job ${accepted.jobId} queued (dropgate job ${accepted.jobId} shows it)`]);
    return;
  }
  const job = await waitWithProgress(client, accepted.jobId, label, out);
  emit(out, { jobId: accepted.jobId, ...job }, () => [`${label}: ${job.done} of ${job.total} done (job ${accepted.jobId})`]);
}

/** `export`: the codes, streamed. */
export function registerExport(program: Command, act: Act): void {
  program
    .command('export')
    .description('export codes (streamed) as CSV or JSON to stdout or a file')
    .argument('<campaignId>')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--tier <tier>', 'only this tier')
    .option('--state <state>', 'only this state (available, locked, published, redeemed, disabled)', codeState)
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(
      act<{ format: 'csv' | 'json'; tier?: string; state?: CodeState; out?: string }>(async ({ client, out }, [id], o) => {
        const res = await client.exportCodes(id!, { format: o.format, ...(o.tier ? { tier: o.tier } : {}), ...(o.state ? { state: o.state } : {}) });
        const source = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
        // Opened once the API has answered (a refused export touches no file); a file that cannot be written is the
        // command line's problem (exit 1), not the API's.
        let sink: NodeJS.WritableStream = out.stdout;
        if (o.out) {
          try {
            sink = await openForWriting(o.out);
          } catch (err) {
            source.destroy();
            throw err;
          }
        }
        // Counted on the way through; a long export shows how far it is on stderr.
        const progress = exportProgress(o.format, out.stderr);
        try {
          await pipeline(source, progress.stream, sink, { end: Boolean(o.out) });
        } finally {
          progress.done();
        }
        const codes = `${progress.counter.codes.toLocaleString('en-US')} ${progress.counter.codes === 1 ? 'code' : 'codes'}`;
        out.stderr.write(o.out ? `${codes} written to ${o.out}\n` : `${codes} exported\n`);
      }),
    );
}

function openForWriting(file: string): Promise<WriteStream> {
  const stream = createWriteStream(file);
  return new Promise((resolve, reject) =>
    stream.once('open', () => resolve(stream)).once('error', (err: Error) => reject(new UsageError(`cannot write ${file}: ${err.message}`))),
  );
}

function importLines(r: ImportReportView): string[] {
  return [
    `${r.inserted} imported of ${r.lines} lines: ${r.duplicates} duplicates, ${r.malformed} malformed`,
    ...r.firstDuplicates.map((d) => `  line ${d.line}: duplicate ${d.code}`),
    ...r.firstMalformed.map((m) => `  line ${m.line}: ${m.problem}`),
  ];
}

/** generate and import (background jobs, with a progress bar), rollback. */
export function registerCodes(program: Command, act: Act): void {
  program
    .command('generate')
    .description('generate more codes for a tier as a background job, with a progress bar')
    .argument('<campaignId>')
    .requiredOption('--tier <tier>', 'tier of the new codes')
    .requiredOption('--count <n>', 'how many codes', positiveInt)
    .option('--no-wait', 'print the job id and return at once')
    .action(
      act<{ tier: string; count: number; wait: boolean }>(async (ctx, [id], o) => {
        const accepted = await ctx.client.generateCodes(id!, { tier: o.tier, count: o.count });
        await followJob(ctx, accepted, `generate ${o.tier}`, o.wait);
      }),
    );

  program
    .command('import')
    .description('import codes from a CSV (code[,tier], or a file export wrote) or JSON-lines ({"code","tier"?}) file, - for stdin: uploaded, then imported by a background job (progress bar); duplicates and malformed lines are reported, not fatal')
    .argument('<campaignId>')
    .argument('<file>', 'CSV or .jsonl file, - for stdin')
    .addOption(new Option('--format <format>', 'file format (default: from the file name, else csv)').choices(['csv', 'jsonl']))
    .option('--tier <tier>', 'tier for lines that name none')
    .option('--no-wait', 'print the job id once the file is uploaded and return at once')
    .action(
      act<{ format?: 'csv' | 'jsonl'; tier?: string; wait: boolean }>(async ({ client, out }, [id, file], o) => {
        const format = o.format ?? (/\.(jsonl|ndjson)$/i.test(file!) ? 'jsonl' : 'csv');
        const input = file === '-' ? process.stdin : createReadStream(file!);
        // Opened before the request, so a missing file is reported as such, not as a failed upload.
        if (file !== '-') {
          await new Promise<void>((resolve, reject) =>
            input.once('open', () => resolve()).once('error', (err: Error) => reject(new UsageError(`cannot read ${file}: ${err.message}`))),
          );
          // A directory opens like a file; reading it would fail only once the upload had started.
          if ((await stat(file!)).isDirectory()) {
            input.destroy();
            throw new UsageError(`cannot read ${file}: it is a directory`);
          }
        }
        const body = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>;
        const accepted = await client.importCodes(id!, body, format === 'csv' ? 'text/csv' : 'application/x-ndjson', { tier: o.tier });
        if (!o.wait) return emit(out, accepted, () => [`job ${accepted.jobId} queued (dropgate job ${accepted.jobId} shows it)`]);
        // The upload is in; the job writes it in batches: a progress bar in lines, then its report.
        const job = await waitWithProgress(client, accepted.jobId, 'import', out);
        const report = job.result as unknown as ImportReportView;
        emit(out, { jobId: accepted.jobId, ...report }, () => importLines(report));
      }),
    );

  program
    .command('disable')
    .description('take codes out of circulation for good (available, locked or published ones: a leaked code); a redemption of one answers code_disabled')
    .argument('<campaignId>')
    .requiredOption('--codes <codes>', 'these codes (comma separated, repeatable)', list)
    .option('--reason <reason>', 'why (kept in the audit log)')
    .action(
      act<{ codes: string[]; reason?: string }>(async ({ client, out }, [id], o) => {
        if (o.codes.length === 0) throw new UsageError('--codes names no code');
        const result = await client.disable(id!, { codes: o.codes, ...(o.reason ? { reason: o.reason } : {}) });
        emit(out, result, () => [`disabled ${result.disabled} codes`, ...notFoundLines(result.notFound)]);
      }),
    );

  program
    .command('rollback')
    .description('put one code back (available) or take it out (disabled); marks the attempt that held it')
    .argument('<campaignId>')
    .argument('<code>')
    .addOption(new Option('--to <state>', 'where the code goes').choices(['available', 'disabled']).makeOptionMandatory())
    .requiredOption('--reason <reason>', 'why (kept in the audit log)')
    .action(
      act<{ to: 'available' | 'disabled'; reason: string }>(async ({ client, out }, [id, code], o) => {
        const result = await client.rollback(id!, code!, { to: o.to, reason: o.reason });
        emit(out, result, () => [`${result.code}: ${result.state}${result.attemptId ? ` (attempt ${result.attemptId} marked rolled back)` : ''}`]);
      }),
    );
}
