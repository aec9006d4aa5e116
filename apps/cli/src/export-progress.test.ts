import { ExportCounter } from './export-progress';

/** Feeds `text` to a counter in chunks of every size from 1 byte up: the count must not depend on where chunks end. */
function countsAtEverySplit(format: 'csv' | 'json', text: string): number[] {
  const bytes = Buffer.from(text);
  const counts: number[] = [];
  for (let size = 1; size <= bytes.length; size++) {
    const counter = new ExportCounter(format);
    for (let i = 0; i < bytes.length; i += size) counter.add(bytes.subarray(i, i + size));
    expect(counter.bytes).toBe(bytes.length);
    counts.push(counter.codes);
  }
  return counts;
}

describe('ExportCounter', () => {
  it('counts CSV codes as the lines after the header, wherever chunks end', () => {
    const csv = 'code,tier,state,customerId,redeemedAt,publicationId\nA1,t,available,,,\nB2,t,redeemed,alice,2026-12-04T00:00:00.000Z,\nC3,t,locked,,,\n';
    expect(new Set(countsAtEverySplit('csv', csv))).toEqual(new Set([3]));
    expect(new Set(countsAtEverySplit('csv', 'code,tier,state,customerId,redeemedAt,publicationId\n'))).toEqual(new Set([0]));
  });

  it('counts JSON codes as the objects, wherever chunks end, even with a value that quotes the key', () => {
    const json = JSON.stringify([
      { code: 'A1', tier: 't', state: 'available', customerId: null, redeemedAt: null, publicationId: null },
      { code: 'B2', tier: 't', state: 'redeemed', customerId: '{"code":"x"}', redeemedAt: null, publicationId: null },
    ]);
    expect(new Set(countsAtEverySplit('json', json))).toEqual(new Set([2]));
    expect(new Set(countsAtEverySplit('json', '[]'))).toEqual(new Set([0]));
  });
});
