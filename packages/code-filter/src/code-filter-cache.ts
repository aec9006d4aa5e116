import type { Redis } from 'ioredis';
import type { CodeFilter } from './code-filter';
import { codeFilterKeys, type CodeFilterKeys } from './code-filter-keys';
import { decodeCodeFilter } from './filter-codec';

export interface CodeFilterCacheOptions {
  redis: Redis;
  prefix: string;
  /** How often the epoch key is read (one GET); a change reaches this process within about this long. */
  pollMs: number;
  onError: (err: unknown) => void;
  /** After each reload that changed something (tests, metrics). */
  onReload?: ((campaignIds: string[]) => void) | undefined;
}

/**
 * An intake's copy of every campaign's code filter, kept in memory so a request costs no I/O. Polls one cheap
 * key (the epoch) and, when it moved, reloads only the campaigns whose version changed.
 */
export class CodeFilterCache {
  private readonly keys: CodeFilterKeys;
  private filters = new Map<string, { version: number; filter: CodeFilter }>();
  private epoch: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: CodeFilterCacheOptions) {
    this.keys = codeFilterKeys(options.prefix);
  }

  /** Loads what is there (errors reported, not thrown: without filters the intake enqueues) and starts polling. */
  async start(): Promise<void> {
    await this.refresh().catch(this.options.onError);
    this.timer = setInterval(() => {
      this.refresh().catch(this.options.onError);
    }, this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * false only when the campaign has a filter and the code is certainly not in it. No filter (none built yet, or
   * being rebuilt) answers true: a real code is never refused.
   */
  mightContain(campaignId: string, code: string): boolean {
    const entry = this.filters.get(campaignId);
    return entry === undefined || entry.filter.mightContain(code);
  }

  get(campaignId: string): CodeFilter | undefined {
    return this.filters.get(campaignId)?.filter;
  }

  /** One poll; concurrent callers share the one in flight. */
  refresh(): Promise<void> {
    this.running ??= this.poll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async poll(): Promise<void> {
    const { redis } = this.options;
    // Not connected (yet, or Redis is down): keep what is loaded; the intake answers 503 for what needs Redis anyway.
    if (redis.status !== 'ready') return;
    const epoch = await redis.get(this.keys.epoch);
    if (epoch === this.epoch) return;
    const versions = await redis.hgetall(this.keys.versions);
    const next = new Map(this.filters);
    const changed: string[] = [];
    for (const id of next.keys()) {
      if (!(id in versions)) {
        next.delete(id);
        changed.push(id);
      }
    }
    for (const [id, raw] of Object.entries(versions)) {
      const version = Number(raw);
      if (next.get(id)?.version === version) continue;
      changed.push(id);
      const data = await redis.getBuffer(this.keys.data(id));
      if (data === null) {
        next.delete(id);
        continue;
      }
      const decoded = decodeCodeFilter(data);
      next.set(id, decoded);
    }
    this.filters = next;
    this.epoch = epoch;
    if (changed.length > 0) this.options.onReload?.(changed);
  }
}
