import { FlagError, readFlags as parseFlags } from './cli-flags';

const NUMERIC = { duration: 20, 'batch-max': 64 };
const WORDS = { compare: ['none', 'batch', 'all'] } as const;

describe('parseFlags', () => {
  it('gives the defaults, then what the flags say, in both spellings', () => {
    expect(parseFlags([], 'usage', NUMERIC, WORDS)).toEqual({ duration: 20, 'batch-max': 64, compare: 'none' });
    expect(parseFlags(['--duration', '5', '--batch-max=1', '--compare', 'all'], 'usage', NUMERIC, WORDS)).toEqual({ duration: 5, 'batch-max': 1, compare: 'all' });
  });

  it('takes text flags as given, with their defaults', () => {
    expect(parseFlags(['--url', 'http://x:1', '--duration', '3'], 'usage', NUMERIC, WORDS, { url: '', campaign: 'c1' })).toEqual({
      duration: 3,
      'batch-max': 64,
      compare: 'none',
      url: 'http://x:1',
      campaign: 'c1',
    });
  });

  it.each([
    [['--durration', '5'], /Unknown option '--durration'/],
    [['stray'], /stray/],
    [['--duration', 'soon'], /--duration needs a non-negative number, got "soon"/],
    [['--duration=-1'], /--duration needs a non-negative number/],
    [['--compare', 'some'], /--compare must be one of: none, batch, all/],
  ])('refuses %p', (argv, message) => {
    expect(() => parseFlags(argv, 'usage', NUMERIC, WORDS)).toThrow(message);
    expect(() => parseFlags(argv, 'usage', NUMERIC, WORDS)).toThrow(FlagError);
  });
});
