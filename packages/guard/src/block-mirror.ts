/**
 * Blocks held in this process's memory (key → until when), so a blocked source is refused with a Map lookup:
 * no Redis round trip, no promise, nothing thrown. Redis holds the same blocks for the other processes.
 */
export class BlockMirror {
  private readonly until = new Map<string, number>();
  private listener: ((key: string, ms: number) => void) | undefined;

  constructor(
    private readonly maxKeys = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Told about each block this mirror starts, or lengthens by a second or more (not about the refusals a block
   * answers): e.g. to share it through Redis (SharedSourceBlocks). One listener.
   */
  onBlock(listener: (key: string, ms: number) => void): void {
    this.listener = listener;
  }

  /** Blocks `key` for `ms` (never shortens a longer block already held). */
  block(key: string, ms: number): void {
    const now = this.now();
    const end = now + ms;
    const held = this.until.get(key) ?? 0;
    if (held >= end) return;
    if (this.until.size >= this.maxKeys) this.sweep();
    this.until.set(key, end);
    if (this.listener && (held <= now || end - held >= 1000)) this.listener(key, ms);
  }

  /** Milliseconds the key stays blocked; 0 when it is not blocked. */
  msLeft(key: string): number {
    const end = this.until.get(key);
    if (end === undefined) return 0;
    const left = end - this.now();
    if (left > 0) return left;
    this.until.delete(key);
    return 0;
  }

  get size(): number {
    return this.until.size;
  }

  /** Forgets expired blocks; if still full, the oldest-inserted ones (a flood of addresses cannot grow it forever). */
  private sweep(): void {
    const now = this.now();
    for (const [key, end] of this.until) if (end <= now) this.until.delete(key);
    if (this.until.size < this.maxKeys) return;
    let drop = this.until.size - Math.floor(this.maxKeys * 0.9);
    for (const key of this.until.keys()) {
      if (drop-- <= 0) break;
      this.until.delete(key);
    }
  }
}
