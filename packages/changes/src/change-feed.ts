import type { Redis } from 'ioredis';
import { changeChannels, parseChangeMessage, type ChangeEvent } from './change-event';

export type ChangeListener = (event: ChangeEvent) => Promise<void> | void;
export type ResyncListener = () => Promise<void> | void;

export interface ChangeFeedOptions {
  /** Subscribes to the changes: a connection of its own ('worker' kind: no command timeout), used for nothing else. */
  subscriber: Redis;
  /** Sends the acknowledgements (PUBLISH); any command connection. */
  redis: Redis;
  prefix: string;
  /** A listener that failed, or an acknowledgement that could not be sent. */
  onError?: (err: unknown) => void;
}

/**
 * One process's subscription to changes. Every listener runs for every change; once all of them have applied it the
 * feed acknowledges it, which is what the publisher waits for. Anything holding campaign or code state in memory
 * subscribes through a feed (never on the channel directly), or publishers would wait for an acknowledgement that
 * never comes. After a reconnect the resync listeners run: changes published meanwhile were lost.
 */
export class ChangeFeed {
  private readonly channels: { changes: string; acks: string };
  private readonly listeners: ChangeListener[] = [];
  private readonly resyncListeners: ResyncListener[] = [];
  private started = false;
  private readonly onMessage = (channel: string, text: string): void => {
    if (channel !== this.channels.changes) return;
    const message = parseChangeMessage(text);
    if (message) void this.apply(message.id, message);
  };
  private readonly onReady = (): void => {
    if (this.started) void this.resync();
  };

  constructor(private readonly options: ChangeFeedOptions) {
    this.channels = changeChannels(options.prefix);
  }

  onChange(listener: ChangeListener): this {
    this.listeners.push(listener);
    return this;
  }

  onResync(listener: ResyncListener): this {
    this.resyncListeners.push(listener);
    return this;
  }

  /** Subscribes (ioredis subscribes again by itself after a reconnect, and then the resync listeners run). */
  async start(): Promise<void> {
    this.options.subscriber.on('message', this.onMessage);
    this.options.subscriber.on('ready', this.onReady);
    await this.options.subscriber.subscribe(this.channels.changes);
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.options.subscriber.off('message', this.onMessage);
    this.options.subscriber.off('ready', this.onReady);
    if (this.options.subscriber.status === 'ready') await this.options.subscriber.unsubscribe(this.channels.changes).catch(() => undefined);
  }

  private async apply(id: string, event: ChangeEvent): Promise<void> {
    const results = await Promise.allSettled(this.listeners.map(async (listener) => listener(event)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) this.options.onError?.(f.reason);
    // Not applied everywhere: no acknowledgement, the publisher's wait runs out and the periodic reload catches up.
    if (failed.length > 0) return;
    await this.options.redis.publish(this.channels.acks, id).catch((err: unknown) => this.options.onError?.(err));
  }

  private async resync(): Promise<void> {
    const results = await Promise.allSettled(this.resyncListeners.map(async (listener) => listener()));
    for (const r of results) if (r.status === 'rejected') this.options.onError?.(r.reason);
  }
}
