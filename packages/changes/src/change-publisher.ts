import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { changeChannels, type ChangeEvent } from './change-event';

export interface ChangePublisherOptions {
  /** Runs commands (PUBLISH). A 'client' kind connection. */
  redis: Redis;
  /** Subscribes to the acknowledgements: a connection of its own, used for nothing else. */
  subscriber: Redis;
  prefix: string;
  /** Longest a publish waits for every listener to have applied the change (then it returns anyway). */
  ackTimeoutMs: number;
  /** Redis failures: the change is in the store already, so they are reported, never thrown at the caller. */
  onError?: (err: unknown) => void;
  /**
   * Is Redis known to be away (an outage log's `isDown`)? Then a change is not published (told to `onError`) rather
   * than wait in the connection's offline queue for reconnects, seconds that the admin's request would wait too.
   */
  isDown?: () => boolean;
}

export interface PublishResult {
  /** Feeds that received the change (0 when Redis could not be reached). */
  receivers: number;
  /** Of those, how many applied it before `publish` returned. */
  applied: number;
}

/** Where a process that changes campaigns or codes says so: a `ChangePublisher`, or anything that forwards to one. */
export interface ChangeSink {
  publish(event: ChangeEvent): Promise<PublishResult>;
}

interface Waiter {
  needed: number | undefined;
  applied: number;
  done: (applied: number) => void;
}

/**
 * Publishes changes and waits until every listening feed has applied them (bounded by `ackTimeoutMs`), so a client
 * that changes a campaign through the admin and then calls the intake sees the change: read-your-writes across
 * processes. A feed that is down or slow only costs the wait; the periodic reload is the fallback.
 */
export class ChangePublisher implements ChangeSink {
  private readonly channels: { changes: string; acks: string };
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly options: ChangePublisherOptions) {
    this.channels = changeChannels(options.prefix);
    options.subscriber.on('message', (channel: string, id: string) => {
      if (channel !== this.channels.acks) return;
      const waiter = this.waiters.get(id);
      if (!waiter) return;
      waiter.applied += 1;
      if (waiter.needed !== undefined && waiter.applied >= waiter.needed) waiter.done(waiter.applied);
    });
  }

  /** Subscribes to the acknowledgements; call (and await) before the first publish. */
  async start(): Promise<void> {
    await this.options.subscriber.subscribe(this.channels.acks);
  }

  async stop(): Promise<void> {
    for (const waiter of this.waiters.values()) waiter.done(waiter.applied);
    if (this.options.subscriber.status === 'ready') await this.options.subscriber.unsubscribe(this.channels.acks).catch(() => undefined);
  }

  async publish(event: ChangeEvent): Promise<PublishResult> {
    if (this.options.isDown?.()) {
      this.options.onError?.(new Error(`change not published, Redis is unavailable: ${event.kind} ${event.action} of ${event.campaignId}`));
      return { receivers: 0, applied: 0 };
    }
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    // Registered before PUBLISH: an acknowledgement may arrive before PUBLISH's own reply.
    const waiter: Waiter = { needed: undefined, applied: 0, done: () => undefined };
    const applied = new Promise<number>((resolve) => {
      waiter.done = (n) => {
        clearTimeout(timer);
        this.waiters.delete(id);
        resolve(n);
      };
    });
    this.waiters.set(id, waiter);
    let receivers: number;
    try {
      receivers = await this.options.redis.publish(this.channels.changes, JSON.stringify({ ...event, id }));
    } catch (err) {
      this.options.onError?.(err);
      waiter.done(0);
      return { receivers: 0, applied: 0 };
    }
    waiter.needed = receivers;
    if (waiter.applied >= receivers) waiter.done(waiter.applied);
    else timer = setTimeout(() => waiter.done(waiter.applied), this.options.ackTimeoutMs);
    return { receivers, applied: await applied };
  }
}
