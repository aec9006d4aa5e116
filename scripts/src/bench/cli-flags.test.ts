import { FlagError, helpText, readFlags } from './cli-flags';

const NUMERIC = { duration: 20, 'batch-max': 64 };
const WORDS = { compare: ['none', 'batch', 'all'] } as const;
const ABOUT = { duration: 'seconds of load', 'batch-max': 'most jobs per add', compare: 'what to compare' };
const spec = { usage: 'usage', numeric: NUMERIC, words: WORDS, about: ABOUT };

describe('parseFlags', () => {
  it('gives the defaults, then what the flags say, in both spellings', () => {
    expect(readFlags([], spec)).toEqual({ duration: 20, 'batch-max': 64, compare: 'none' });
    expect(readFlags(['--duration', '5', '--batch-max=1', '--compare', 'all'], spec)).toEqual({ duration: 5, 'batch-max': 1, compare: 'all' });
  });

  it('takes text flags as given, with their defaults', () => {
    expect(readFlags(['--url', 'http://x:1', '--duration', '3'], { ...spec, text: { url: '', campaign: 'c1' }, about: { ...ABOUT, url: 'where', campaign: 'which' } })).toEqual({
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
    expect(() => readFlags(argv, spec)).toThrow(message);
    expect(() => readFlags(argv, spec)).toThrow(FlagError);
  });

  it('--help text: every flag with what it sets and its default', () => {
    const text = helpText({ ...spec, text: { url: '' }, about: { ...ABOUT, url: "the intake's URL" } });
    expect(text.split('\n')).toEqual([
      'usage',
      '',
      '  --duration <n>            seconds of load; default 20',
      '  --batch-max <n>           most jobs per add; default 64',
      '  --compare none|batch|all  what to compare; default none',
      "  --url <text>              the intake's URL",
      '',
    ]);
    expect(helpText({ usage: 'u', about: {} })).toBe('u\n\n  (no flags)\n');
  });
});
