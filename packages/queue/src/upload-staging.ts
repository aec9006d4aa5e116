import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Uploads kept in Redis until the admin job that reads them is done, so a long import never holds its request and a
 * retried job (a restarted admin, BullMQ's stalled-job recovery) reads the very same bytes again. One Redis list of
 * chunks per upload, in order, under the deployment's key prefix; it expires by itself (`ttlS`) should its job never
 * finish, and the job drops it once done. Redis is where the job itself lives: the upload is as durable as its job.
 */
export interface UploadStagingOptions {
  /** A 'client' kind connection (not a blocking worker one). */
  redis: Redis;
  /** QUEUE_PREFIX: the upload's key is `<prefix>:admin-uploads:<uploadId>`. */
  prefix: string;
  /** Larger uploads are refused (`UploadTooLargeError`) and what was staged of them dropped. */
  maxBytes: number;
  /** How long an upload outlives its last write (default: a day, a failed job's retries included). */
  ttlS?: number | undefined;
}

export interface StagedUpload {
  uploadId: string;
  bytes: number;
  /** Lines in the upload (a last line without a newline counts): what an import job reports its progress against. */
  lines: number;
}

export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the upload is larger than ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

/** Bytes per list element: few round trips, no element anywhere near Redis's limits. */
const CHUNK_BYTES = 256 * 1024;
/** Elements per LRANGE when reading back (4 MiB). */
const READ_PAGE = 16;
const NEWLINE = 0x0a;

function newlinesIn(buf: Buffer): number {
  let n = 0;
  for (let at = buf.indexOf(NEWLINE); at !== -1; at = buf.indexOf(NEWLINE, at + 1)) n++;
  return n;
}

export class UploadStaging {
  private readonly ttlS: number;

  constructor(private readonly options: UploadStagingOptions) {
    this.ttlS = options.ttlS ?? 24 * 3600;
  }

  private key(uploadId: string): string {
    return `${this.options.prefix}:admin-uploads:${uploadId}`;
  }

  /** Stores `input` as it arrives (awaiting each write: the sender is slowed to Redis's pace, memory stays bounded). */
  async stage(input: AsyncIterable<Buffer | string>): Promise<StagedUpload> {
    const { redis, maxBytes } = this.options;
    const uploadId = `upl_${randomBytes(12).toString('base64url')}`;
    const key = this.key(uploadId);
    let bytes = 0;
    let newlines = 0;
    let lastByte = NEWLINE;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await redis.multi().rpush(key, chunk).expire(key, this.ttlS).exec();
    };
    try {
      for await (const piece of input) {
        const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
        if (buf.length === 0) continue;
        bytes += buf.length;
        if (bytes > maxBytes) throw new UploadTooLargeError(maxBytes);
        newlines += newlinesIn(buf);
        lastByte = buf[buf.length - 1]!;
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      await flush();
    } catch (err) {
      await this.drop(uploadId).catch(() => undefined);
      throw err;
    }
    return { uploadId, bytes, lines: newlines + (lastByte === NEWLINE ? 0 : 1) };
  }

  /** The upload's bytes, in order. Throws when an upload of `bytes` > 0 is not there (expired, or dropped). */
  async *read(uploadId: string, bytes: number): AsyncGenerator<Buffer> {
    const key = this.key(uploadId);
    for (let at = 0; ; at += READ_PAGE) {
      const page = await this.options.redis.lrangeBuffer(key, at, at + READ_PAGE - 1);
      if (at === 0 && page.length === 0 && bytes > 0) throw new Error(`upload ${uploadId} is gone (expired, or already read to the end)`);
      yield* page;
      if (page.length < READ_PAGE) return;
    }
  }

  async drop(uploadId: string): Promise<void> {
    await this.options.redis.del(this.key(uploadId));
  }
}
