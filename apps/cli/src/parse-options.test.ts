import { loadCliConfig } from '@dropgate/config';
import { InvalidArgumentError } from 'commander';
import { duration, httpUrl, isoDate } from './parse-options';

describe('--url', () => {
  it('holds --url to the rule of DROPGATE_ADMIN_URL: the same values pass, the same are refused', () => {
    const accepts = (value: string): { flag: boolean; env: boolean } => {
      let flag = true;
      try {
        httpUrl(value);
      } catch {
        flag = false;
      }
      let env = true;
      try {
        loadCliConfig({ DROPGATE_ADMIN_URL: value });
      } catch {
        env = false;
      }
      return { flag, env };
    };
    for (const good of ['http://127.0.0.1:3001', 'https://admin.example.net/', 'http://[::1]:3001'])
      expect({ good, ...accepts(good) }).toEqual({ good, flag: true, env: true });
    for (const bad of ['ftp://nowhere', 'nowhere', 'http://', 'mailto:ops@example.net'])
      expect({ bad, ...accepts(bad) }).toEqual({ bad, flag: false, env: false });
  });
});

describe('dates (--starts-at, --ends-at, --release-at)', () => {
  it('takes an ISO 8601 date and time with its time zone, as the instant it names', () => {
    expect(isoDate('2026-12-03T19:30:00Z')).toBe('2026-12-03T19:30:00.000Z');
    expect(isoDate('2026-12-03T20:30:00+01:00')).toBe('2026-12-03T19:30:00.000Z');
    expect(isoDate('2026-12-03T14:30-05:00')).toBe('2026-12-03T19:30:00.000Z');
    expect(isoDate('2028-02-29T00:00:00.250Z')).toBe('2028-02-29T00:00:00.250Z');
  });

  it.each([
    ['a bare number (Date.parse: May 2001)', '5'],
    ['a month name without a year (Date.parse: 2001)', 'Dec 5 20:00'],
    ['a US-ordered date (Date.parse: 5 December, for 12 May)', '12/05/2026'],
    ['a word', 'tomorrow'],
  ])('refuses %s', (_name, value) => {
    expect(() => isoDate(value)).toThrow(InvalidArgumentError);
    expect(() => isoDate(value)).toThrow(/ISO date and time with its time zone/);
  });

  it.each(['2026-12-05T20:00', '2026-12-05T20:00:00', '2026-12-05 20:00', '2026-12-05'])(
    'refuses %s, which names no time zone (Date.parse read a time without one in the zone of the machine the CLI runs on)',
    (value) => {
      expect(() => isoDate(value)).toThrow(/add Z for UTC or an offset/);
    },
  );

  it('refuses a day the calendar does not have instead of rolling it over into the next month', () => {
    expect(Date.parse('2026-02-30T00:00:00Z')).not.toBeNaN(); // what it used to send: 2 March
    expect(() => isoDate('2026-02-30T00:00:00Z')).toThrow(/2026-02-30 is not a day of the calendar/);
    expect(() => isoDate('2027-02-29T00:00:00Z')).toThrow(/not a day of the calendar/);
  });
});

describe('durations (--release-in, --before)', () => {
  it('reads 90s, 30m, 2h and 1d', () => {
    expect([duration('90s'), duration('30m'), duration('2h'), duration('1d')]).toEqual([90_000, 1_800_000, 7_200_000, 86_400_000]);
  });

  it('refuses one too long to add to a date (a usage error, not "Invalid time value" from the date arithmetic)', () => {
    expect(() => new Date(Date.now() + Number('99999999999') * 86_400_000).toISOString()).toThrow(RangeError);
    expect(() => duration('99999999999d')).toThrow(InvalidArgumentError);
    expect(() => duration('36501d')).toThrow(/at most 36500d/);
    expect(duration('36500d')).toBe(36_500 * 86_400_000);
  });
});
