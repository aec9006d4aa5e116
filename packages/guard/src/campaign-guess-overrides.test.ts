import { CampaignGuessOverrides } from './campaign-guess-overrides';

describe('CampaignGuessOverrides', () => {
  it('reads a campaign once per ttl, concurrent callers sharing the read', async () => {
    let now = 0;
    const reads: string[] = [];
    const overrides = new CampaignGuessOverrides({
      load: (id) => {
        reads.push(id);
        return Promise.resolve({ addressGuesses: reads.length });
      },
      ttlMs: 1000,
      now: () => now,
    });
    expect(await Promise.all([overrides.get('a'), overrides.get('a'), overrides.get('b')])).toEqual([{ addressGuesses: 1 }, { addressGuesses: 1 }, { addressGuesses: 2 }]);
    now = 999;
    expect(await overrides.get('a')).toEqual({ addressGuesses: 1 });
    now = 1000;
    expect(await overrides.get('a')).toEqual({ addressGuesses: 3 });
    expect(reads).toEqual(['a', 'b', 'a']);
  });

  it('answers undefined (the configured limits) when the read fails, and reads again next time', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const overrides = new CampaignGuessOverrides({
      load: () => (fail ? Promise.reject(new Error('store down')) : Promise.resolve({ subnetGuesses: 7 })),
      ttlMs: 60_000,
      onError: (err) => errors.push(err),
    });
    expect(await overrides.get('a')).toBeUndefined();
    expect(errors).toHaveLength(1);
    fail = false;
    expect(await overrides.get('a')).toEqual({ subnetGuesses: 7 });
  });
});
