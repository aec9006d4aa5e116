import { unguardCell } from '@dropgate/core';
import { csvCell, csvHeader, CSV_COLUMNS, parseCsvLine } from './codes-csv';

describe('the codes CSV', () => {
  it('reads back every cell the export writes: quotes, commas, the formula guard and a leading quote mark', () => {
    const values = ['ABC-123', '=cmd|" /C calc"!A0', '+1', '-SUMME', '@x', "'", "'=already", "''", 'a,b', '"q"', 'a\tb', '\tlead', 'plain text', ''];
    const line = values.map(csvCell).join(',');
    expect(parseCsvLine(line)).toEqual(values);
    // Guarded cells start with a quote mark a spreadsheet shows as text.
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell("'x")).toBe("''x");
    expect(csvCell('DG-1234')).toBe('DG-1234');
  });

  it('only takes off a guard the export could have added', () => {
    expect(unguardCell("'=1")).toBe('=1');
    expect(unguardCell("'ABC")).toBe("'ABC");
    expect(unguardCell("''")).toBe("'");
  });

  it('trims unquoted cells, keeps quoted ones, refuses broken quoting', () => {
    expect(parseCsvLine(' A , "b " ,c')).toEqual(['A', 'b ', 'c']);
    expect(parseCsvLine('"a""b",')).toEqual(['a"b', '']);
    expect(parseCsvLine('"open')).toBeNull();
    expect(parseCsvLine('"a"b')).toBeNull();
  });

  it("knows the export's header in any order and case, and the old code[,tier] one", () => {
    expect(csvHeader(CSV_COLUMNS.join(','))).toEqual({ code: 0, tier: 1, cells: 6 });
    expect(csvHeader('\ufeff"State","Tier","Code"')).toEqual({ code: 2, tier: 1, cells: 3 });
    expect(csvHeader('code,customerId')).toEqual({ code: 0, tier: undefined, cells: 2 });
    expect(csvHeader('CODE')).toEqual({ code: 0, tier: 1, cells: 2 });
    for (const notHeader of ['tier', 'code,code', 'code,notes', 'DG-1234,standard', '"code']) expect(csvHeader(notHeader)).toBeNull();
  });
});
