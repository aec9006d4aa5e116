import { Transform, type TransformCallback } from 'node:stream';

/** How a record starts in each export format: a CSV line (after the header) or a JSON object, whose first key is code. */
const JSON_RECORD = Buffer.from('{"code":"');

/**
 * Counts the codes of an export as its bytes stream by, chunk boundaries anywhere. CSV: one per line after the
 * header (no field holds a newline: ids and codes have no control characters). JSON: one per `{"code":"` (a quote
 * inside a string value is escaped, so that byte sequence only starts an object).
 */
export class ExportCounter {
  codes = 0;
  bytes = 0;
  private lines = 0;
  private tail = Buffer.alloc(0);

  constructor(private readonly format: 'csv' | 'json') {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.format === 'csv') {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++;
      this.codes = Math.max(0, this.lines - 1);
      return;
    }
    const data = Buffer.concat([this.tail, chunk]);
    for (let i = data.indexOf(JSON_RECORD); i !== -1; i = data.indexOf(JSON_RECORD, i + JSON_RECORD.length)) this.codes++;
    // Keep what could be the start of a record cut by the chunk's end (never a whole one: it was counted).
    this.tail = data.subarray(Math.max(0, data.length - (JSON_RECORD.length - 1)));
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

/**
 * A pass-through that counts the codes and, once the export has taken a second, shows how far it is on stderr:
 * one line redrawn in place on a terminal, a line every 2 s otherwise (logs). A short export prints nothing here.
 */
export function exportProgress(format: 'csv' | 'json', stderr: NodeJS.WritableStream & { isTTY?: boolean }): { counter: ExportCounter; stream: Transform; done: () => void } {
  const counter = new ExportCounter(format);
  const tty = stderr.isTTY === true;
  const started = Date.now();
  let shown = false;
  const show = (): void => {
    const line = `export: ${counter.codes.toLocaleString('en-US')} codes (${megabytes(counter.bytes)}, ${((Date.now() - started) / 1000).toFixed(0)} s)`;
    stderr.write(tty ? `\r${line}` : `${line}\n`);
    shown = true;
  };
  const timer = setInterval(show, tty ? 250 : 2000);
  timer.unref();
  const firstShow = setTimeout(show, 1000);
  firstShow.unref();
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      counter.add(chunk);
      callback(null, chunk);
    },
  });
  const done = (): void => {
    clearInterval(timer);
    clearTimeout(firstShow);
    if (shown && tty) stderr.write('\n');
  };
  return { counter, stream, done };
}
