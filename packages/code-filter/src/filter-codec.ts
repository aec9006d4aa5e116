import { BloomFilter } from './bloom-filter';
import { BloomCodeFilter, ExactCodeSet, type CodeFilter } from './code-filter';

/**
 * The binary form shared through Redis:
 *   magic "DGCF" | format u8 (1) | kind u8 (1 exact, 2 bloom) | version f64 | count u32 | body
 *   exact: the codes, UTF-8, one per line (codes never hold a newline: their alphabet is letters and digits)
 *   bloom: bits u32 | hashes u8 | seed u32 | bit array
 * `version` is the publication's version, so a reader knows which build it holds.
 */
const MAGIC = 0x44474346; // "DGCF"
const FORMAT = 1;
const HEADER = 4 + 1 + 1 + 8 + 4;

export interface VersionedFilter {
  version: number;
  filter: CodeFilter;
}

export function encodeCodeFilter(filter: CodeFilter, version: number): Buffer {
  if (filter instanceof ExactCodeSet) {
    const body = Buffer.from([...filter.codes].join('\n'), 'utf8');
    const out = Buffer.allocUnsafe(HEADER + body.length);
    writeHeader(out, 1, version, filter.count);
    body.copy(out, HEADER);
    return out;
  }
  if (filter instanceof BloomCodeFilter) {
    const { bloom } = filter;
    const out = Buffer.allocUnsafe(HEADER + 9 + bloom.words.length);
    writeHeader(out, 2, version, filter.count);
    out.writeUInt32BE(bloom.bits, HEADER);
    out.writeUInt8(bloom.hashes, HEADER + 4);
    out.writeUInt32BE(bloom.seed, HEADER + 5);
    out.set(bloom.words, HEADER + 9);
    return out;
  }
  throw new TypeError(`cannot encode a ${filter.kind} filter of unknown class`);
}

export function decodeCodeFilter(data: Buffer): VersionedFilter {
  if (data.length < HEADER || data.readUInt32BE(0) !== MAGIC) throw new Error('not a code filter (bad magic)');
  if (data.readUInt8(4) !== FORMAT) throw new Error(`unknown code filter format ${data.readUInt8(4)}`);
  const kind = data.readUInt8(5);
  const version = data.readDoubleBE(6);
  const count = data.readUInt32BE(14);
  if (kind === 1) {
    const text = data.toString('utf8', HEADER);
    const codes = new Set(text.length === 0 ? [] : text.split('\n'));
    return { version, filter: new ExactCodeSet(codes, data.length) };
  }
  if (kind === 2) {
    const bits = data.readUInt32BE(HEADER);
    const hashes = data.readUInt8(HEADER + 4);
    const seed = data.readUInt32BE(HEADER + 5);
    // A copy: the filter must not pin the (possibly pooled) buffer it was read from.
    const words = new Uint8Array(data.subarray(HEADER + 9));
    return { version, filter: new BloomCodeFilter(new BloomFilter(words, bits, hashes, seed), count) };
  }
  throw new Error(`unknown code filter kind ${kind}`);
}

function writeHeader(out: Buffer, kind: number, version: number, count: number): void {
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt8(FORMAT, 4);
  out.writeUInt8(kind, 5);
  out.writeDoubleBE(version, 6);
  out.writeUInt32BE(count, 14);
}
