import { randomInt } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { CHARSETS, DEFAULT_CHARSET, unguardCell } from '@dropgate/core';
import { spreadAddress } from '../addresses';
import type { BenchRequest } from '../intake/paths';

export const SCENARIOS = ['redeem', 'claim', 'bots'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  scenario: Scenario;
  campaignId: string;
  /** Real codes (redeem), or samples of the campaign's format (bots: wrong codes are made from them). */
  codes: readonly string[];
  tier?: string | undefined;
  /** Rotate X-Forwarded-For (one made-up address per request): only when the target trusts the proxy hop. */
  rotateForwardedFor: boolean;
  /** Prefix of the customer ids (every request a new one). */
  customerPrefix: string;
}

/**
 * A code of the same shape as `sample` with its last `tail` random characters (those of `alphabet`) replaced by
 * random characters of `alphabet`: well-formed for the campaign, but (with overwhelming probability) not one of its
 * codes. What a guessing bot sends. Characters outside `alphabet` (a pattern's separators: `SKATE-####-####`) stay
 * where they are: a bot that moved them would only send codes of the wrong format, refused before any lookup.
 */
export function wrongCodeLike(sample: string, alphabet: string, tail = 6): string {
  const chars = [...sample];
  let left = tail;
  for (let i = chars.length - 1; i >= 0 && left > 0; i--) {
    if (!alphabet.includes(chars[i]!)) continue;
    chars[i] = alphabet[randomInt(alphabet.length)]!;
    left--;
  }
  return chars.join('');
}

/**
 * The characters the random part of the sample codes uses: those at the positions where the samples differ (a
 * pattern's literals and separators never do), letters and digits only; the default alphabet when the samples
 * show fewer than two.
 */
export function alphabetOf(codes: readonly string[]): string {
  const samples = codes.slice(0, 1000);
  const chars = new Set<string>();
  const longest = Math.max(0, ...samples.map((c) => c.length));
  for (let i = 0; i < longest; i++) {
    const here = new Set(samples.map((c) => c[i]).filter((ch): ch is string => ch !== undefined && /[\p{L}\p{N}]/u.test(ch)));
    if (here.size > 1) for (const ch of here) chars.add(ch);
  }
  return chars.size >= 2 ? [...chars].sort().join('') : CHARSETS[DEFAULT_CHARSET];
}

/** The request builder of a scenario: the n-th request (n from 0). */
export function scenarioRequests(o: ScenarioOptions): (n: number) => BenchRequest {
  const headers = (n: number): Record<string, string> => ({
    'content-type': 'application/json',
    ...(o.rotateForwardedFor ? { 'x-forwarded-for': spreadAddress(10, n) } : {}),
  });
  const customer = (n: number): string => `${o.customerPrefix}-${n}`;
  switch (o.scenario) {
    case 'redeem': {
      if (o.codes.length === 0) throw new Error('the redeem scenario needs codes (--codes a,b,c or --codes-file <path>)');
      return (n) => ({ method: 'POST', path: '/v1/redemptions', headers: headers(n), body: JSON.stringify({ campaignId: o.campaignId, customerId: customer(n), code: o.codes[n % o.codes.length] }) });
    }
    case 'claim':
      return (n) => ({ method: 'POST', path: '/v1/claims', headers: headers(n), body: JSON.stringify({ campaignId: o.campaignId, customerId: customer(n), ...(o.tier ? { tier: o.tier } : {}) }) });
    case 'bots': {
      if (o.codes.length === 0) throw new Error('the bots scenario needs at least one code of the campaign as a sample of its format (--codes or --codes-file)');
      const alphabet = alphabetOf(o.codes);
      const real = new Set(o.codes);
      return (n) => {
        let code = wrongCodeLike(o.codes[n % o.codes.length]!, alphabet);
        while (real.has(code)) code = wrongCodeLike(code, alphabet);
        return { method: 'POST', path: '/v1/redemptions', headers: headers(n), body: JSON.stringify({ campaignId: o.campaignId, customerId: customer(n), code }) };
      };
    }
  }
}

/**
 * Codes from a file: one per line, or a CSV (RFC 4180: quoted cells, `""` inside them, commas and line breaks in
 * quotes), such as the admin's export. A first row naming a `code` column is a header: that column is read, at any
 * position; without one, the first column. The export's spreadsheet guard (a `'` before a cell starting with
 * = + - @) is taken off again: no code has a `'`. Blank lines and empty cells are skipped.
 */
export function parseCodesFile(text: string): string[] {
  const rows: string[][] = parseCsv(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true });
  const header = rows[0]?.findIndex((cell) => cell.toLowerCase() === 'code') ?? -1;
  const column = Math.max(0, header);
  return rows
    .slice(header === -1 ? 0 : 1)
    .map((row) => unguardCell(row[column] ?? ''))
    .filter((code) => code !== '');
}
