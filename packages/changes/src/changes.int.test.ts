import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, waitFor } from '@dropgate/testkit';
import { ChangeFeed, ChangePublisher, changeChannels, parseChangeMessage, type ChangeEvent } from './index';

/** Publisher and feeds on the real Redis, each test under a prefix of its own (channels never cross). */

const connections: Redis[] = [];
const connect = (): Redis => {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(redis);
  return redis;
};

afterEach(async () => {
  await Promise.all(connections.splice(0).map((r) => r.quit().catch(() => r.disconnect())));
});

const newPrefix = () => `dgchg${randomBytes(4).toString('hex')}`;

async function publisherOn(prefix: string, ackTimeoutMs = 5_000, errors: unknown[] = []): Promise<ChangePublisher> {
  const publisher = new ChangePublisher({ redis: connect(), subscriber: connect(), prefix, ackTimeoutMs, onError: (e) => errors.push(e) });
  await publisher.start();
  return publisher;
}

function feedOn(prefix: string, errors: unknown[] = []): { feed: ChangeFeed; subscriber: Redis } {
  const subscriber = connect();
  const feed = new ChangeFeed({ subscriber, redis: connect(), prefix, onError: (e) => errors.push(e) });
  return { feed, subscriber };
}

const created: ChangeEvent = { kind: 'campaign', campaignId: 'summer_drop', action: 'created' };

describe('ChangePublisher + ChangeFeed', () => {
  it('returns only once every feed has applied the change (slow listeners included)', async () => {
    const prefix = newPrefix();
    const applied: string[] = [];
    const feeds = [feedOn(prefix), feedOn(prefix)];
    feeds[0]!.feed.onChange(async (e) => {
      await new Promise((r) => setTimeout(r, 150));
      applied.push(`slow:${e.campaignId}:${e.action}`);
    });
    feeds[1]!.feed.onChange((e) => void applied.push(`fast:${e.campaignId}:${e.kind}`));
    feeds[1]!.feed.onChange((e) => void applied.push(`second listener:${e.kind}`));
    for (const { feed } of feeds) await feed.start();
    const publisher = await publisherOn(prefix);

    const result = await publisher.publish(created);
    expect(result).toEqual({ receivers: 2, applied: 2 });
    expect(applied.sort()).toEqual(['fast:summer_drop:campaign', 'second listener:campaign', 'slow:summer_drop:created']);

    const codes = await publisher.publish({ kind: 'codes', campaignId: 'summer_drop', action: 'locked' });
    expect(codes).toEqual({ receivers: 2, applied: 2 });
    expect(applied).toContain('fast:summer_drop:codes');
  });

  it('publishes nothing while told Redis is away, and says so to onError at once (no wait for reconnects)', async () => {
    const prefix = newPrefix();
    const { feed } = feedOn(prefix);
    const heard: ChangeEvent[] = [];
    feed.onChange((e) => void heard.push(e));
    await feed.start();
    let down = true;
    const errors: unknown[] = [];
    const publisher = new ChangePublisher({ redis: connect(), subscriber: connect(), prefix, ackTimeoutMs: 5_000, onError: (e) => errors.push(e), isDown: () => down });
    await publisher.start();
    expect(await publisher.publish(created)).toEqual({ receivers: 0, applied: 0 });
    expect(errors.map((e) => (e as Error).message)).toEqual(['change not published, Redis is unavailable: campaign created of summer_drop']);
    down = false;
    expect(await publisher.publish(created)).toEqual({ receivers: 1, applied: 1 });
    expect(heard).toHaveLength(1);
  });

  it('answers at once when nobody listens, and after the timeout when a feed fails to apply', async () => {
    const prefix = newPrefix();
    const publisher = await publisherOn(prefix, 300);
    expect(await publisher.publish(created)).toEqual({ receivers: 0, applied: 0 });

    const feedErrors: unknown[] = [];
    const good = feedOn(prefix);
    const bad = feedOn(prefix, feedErrors);
    good.feed.onChange(() => undefined);
    bad.feed.onChange(() => Promise.reject(new Error('store unreachable')));
    await good.feed.start();
    await bad.feed.start();
    expect(await publisher.publish(created)).toEqual({ receivers: 2, applied: 1 });
    expect(feedErrors).toEqual([new Error('store unreachable')]);
  });

  it('reports (never throws) when Redis is unreachable', async () => {
    const errors: unknown[] = [];
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const publisher = new ChangePublisher({ redis: dead, subscriber: connect(), prefix: newPrefix(), ackTimeoutMs: 1000, onError: (e) => errors.push(e) });
    expect(await publisher.publish(created)).toEqual({ receivers: 0, applied: 0 });
    expect(errors).toHaveLength(1);
    dead.disconnect();
  });

  it('only hears its own prefix, and ignores malformed messages', async () => {
    const prefix = newPrefix();
    const heard: ChangeEvent[] = [];
    const { feed } = feedOn(prefix);
    feed.onChange((e) => void heard.push(e));
    await feed.start();
    const other = await publisherOn(newPrefix(), 100);
    await other.publish(created);
    const raw = connect();
    for (const junk of ['not json', '{}', JSON.stringify({ id: 'x', kind: 'campaign', campaignId: 'a b', action: 'created' }), JSON.stringify({ id: 'x', kind: 'codes', campaignId: 'a', action: 'created' })])
      await raw.publish(changeChannels(prefix).changes, junk);
    const mine = await publisherOn(prefix);
    expect(await mine.publish({ kind: 'codes', campaignId: 'c1', action: 'published' })).toEqual({ receivers: 1, applied: 1 });
    expect(heard).toEqual([{ kind: 'codes', campaignId: 'c1', action: 'published', id: expect.any(String) as string }]);
  });

  it('runs the resync listeners after its connection comes back (changes published meanwhile were lost)', async () => {
    const prefix = newPrefix();
    const { feed, subscriber } = feedOn(prefix);
    let resyncs = 0;
    const heard: string[] = [];
    feed.onResync(() => void (resyncs += 1));
    feed.onChange((e) => void heard.push(e.campaignId));
    // Its id before it subscribes (a subscribed connection takes no other commands).
    const id = (await subscriber.client('ID'));
    await feed.start();
    expect(resyncs).toBe(0);
    await connect().client('KILL', 'ID', String(id));
    await waitFor('the feed to resync', () => (resyncs >= 1 ? true : undefined));
    const publisher = await publisherOn(prefix);
    // Subscribed again by itself: the next change is heard and acknowledged.
    await waitFor('the feed to hear changes again', async () => ((await publisher.publish({ kind: 'campaign', campaignId: 'again', action: 'status' })).applied === 1 ? true : undefined));
    expect(heard).toContain('again');
  });
});

describe('parseChangeMessage', () => {
  it('takes exactly the declared kinds and actions', () => {
    expect(parseChangeMessage(JSON.stringify({ id: 'a', kind: 'campaign', campaignId: 'c', action: 'status', extra: 1 }))).toEqual({ id: 'a', kind: 'campaign', campaignId: 'c', action: 'status' });
    expect(parseChangeMessage(JSON.stringify({ id: 'a', kind: 'campaign', campaignId: 'c', action: 'locked' }))).toBeNull();
    expect(parseChangeMessage(JSON.stringify({ id: 'a', kind: 'other', campaignId: 'c', action: 'status' }))).toBeNull();
    expect(parseChangeMessage('null')).toBeNull();
    expect(parseChangeMessage(JSON.stringify({ id: 'a', kind: 'codes', campaignId: { $ne: 1 }, action: 'locked' }))).toBeNull();
  });
});
