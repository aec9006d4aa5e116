/**
 * Compares strings by Unicode code point: the byte order of their UTF-8, which is how the PostgreSQL adapter sorts
 * (every text column is COLLATE "C") and MongoDB's own binary order. Plain `<` compares UTF-16 units instead,
 * which puts characters above U+FFFF (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
