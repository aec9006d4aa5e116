import type { Campaign } from '@dropgate/core';
import { CampaignCatalog, type CampaignSource } from './campaign-catalog';

/** A source whose reads the test answers by hand, in any order, to overlap loads as a busy intake does. */
class ManualSource implements CampaignSource {
  readonly pending: Array<{ what: string; resolve: (value: never) => void }> = [];
  list(): Promise<Campaign[]> {
    return new Promise((resolve) => this.pending.push({ what: 'list', resolve: resolve }));
  }
  get(id: string): Promise<Campaign | null> {
    return new Promise((resolve) => this.pending.push({ what: `get ${id}`, resolve: resolve }));
  }
  /** Answers the oldest pending read of `what` (the newest with `newest`). */
  answer(what: string, value: unknown, newest = false): void {
    const i = newest ? this.pending.findLastIndex((p) => p.what === what) : this.pending.findIndex((p) => p.what === what);
    if (i < 0) throw new Error(`no pending ${what}`);
    this.pending.splice(i, 1)[0]!.resolve(value as never);
  }
}

const campaign = (id: string, status: Campaign['status']): Campaign => ({ id, status }) as Campaign;
const flush = () => new Promise((r) => setImmediate(r));

describe('CampaignCatalog', () => {
  it('applies a reload of one campaign, and never lets an older overlapping load overwrite a newer one', async () => {
    const source = new ManualSource();
    const catalog = new CampaignCatalog(source, 60_000, (err) => {
      throw err;
    });
    const starting = catalog.start();
    source.answer('list', [campaign('a', 'active')]);
    await starting;
    expect(catalog.get('a')?.status).toBe('active');
    expect(catalog.get('b')).toBeUndefined();

    // A full reload starts, then a change event's reload (newer) finishes first: the full reload's older view loses.
    const full = catalog.refresh();
    const reload = catalog.reload('a');
    source.answer('get a', campaign('a', 'paused'));
    await reload;
    expect(catalog.get('a')?.status).toBe('paused');
    source.answer('list', [campaign('a', 'active')]);
    await full;
    expect(catalog.get('a')?.status).toBe('paused');

    // Two reloads of the same campaign finishing out of order: the later-started one wins.
    const first = catalog.reload('b');
    const second = catalog.reload('b');
    source.answer('get b', campaign('b', 'active'), true);
    await second;
    expect(catalog.get('b')?.status).toBe('active');
    source.answer('get b', campaign('b', 'draft'));
    await first;
    await flush();
    expect(catalog.get('b')?.status).toBe('active');

    // A full reload that started after them applies (and drops what the store no longer has).
    const later = catalog.refresh();
    source.answer('list', [campaign('a', 'stopped')]);
    await later;
    expect(catalog.get('a')?.status).toBe('stopped');
    expect(catalog.get('b')).toBeUndefined();

    // A reload of an unknown id leaves nothing behind.
    const unknown = catalog.reload('nope');
    source.answer('get nope', null);
    await unknown;
    expect(catalog.get('nope')).toBeUndefined();
    catalog.stop();
  });
});
