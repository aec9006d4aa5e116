/**
 * Code format: the one definition of what a code of a campaign looks like, how input is normalised,
 * and how hard the space is to guess.
 */
export const CHARSETS = {
  /** Default: upper-case letters and digits without the look-alikes 0/O, 1/I/L. 31 symbols. */
  unambiguous: '23456789ABCDEFGHJKMNPQRSTUVWXYZ',
  alphanumeric: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numeric: '0123456789',
  hex: '0123456789ABCDEF',
} as const;
export type CharsetName = keyof typeof CHARSETS;
export const DEFAULT_CHARSET: CharsetName = 'unambiguous';

/** Placeholder for one random character in a pattern such as `SYN-####-####`. */
export const PATTERN_SLOT = '#';

export interface CodeSpec {
  /** Number of random characters. */
  length: number;
  /** The alphabet itself (resolved from a charset name at creation). */
  charset: string;
  /** Optional layout: `#` is a random character, anything else is literal. Its `#` count equals `length`. */
  pattern: string | null;
  prefix: string;
  suffix: string;
}

export interface CodeSpecInput {
  length?: number | undefined;
  /** A `CharsetName`, or the characters themselves. */
  charset?: string | undefined;
  pattern?: string | null | undefined;
  prefix?: string | undefined;
  suffix?: string | undefined;
}

export class CodeSpecError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid_code_spec' | 'code_space_too_small',
  ) {
    super(message);
    this.name = 'CodeSpecError';
  }
}

const LITERAL = /^[A-Za-z0-9_-]*$/;

/**
 * What a code never begins with: a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` as a formula (and reads
 * a leading `'` as "text follows"), so the CSV export writes such cells after a `'`, and a code so written would come
 * back from a spreadsheet, or be typed at the intake, with that `'`. A spec whose codes could begin with one is
 * refused; the export's guard then never touches a code.
 */
export const SPREADSHEET_FORMULA_STARTERS = "=+-@'";

/** The first character of every code of the spec, as a class: its literal, or any of the alphabet. */
function firstCharacters(charset: string, pattern: string | null, prefix: string): string {
  const first = (prefix + (pattern ?? PATTERN_SLOT))[0]!;
  return first === PATTERN_SLOT ? charset : first;
}
const MAX_RANDOM_CHARS = 64;
/**
 * The longest code, literals included: every API that takes a code refuses a longer one (the HTTP schemas'
 * `codeInput`), so a spec whose codes would be longer is refused too, not created with codes nobody can redeem.
 */
export const CODE_MAX_LENGTH = 64;

export function resolveCodeSpec(input: CodeSpecInput): CodeSpec {
  const charset =
    input.charset === undefined
      ? CHARSETS[DEFAULT_CHARSET]
      : Object.prototype.hasOwnProperty.call(CHARSETS, input.charset)
        ? CHARSETS[input.charset as CharsetName]
        : input.charset;
  if (charset.length < 2 || charset.length > 94 || !/^[\x21-\x7e]+$/.test(charset) || charset.includes(PATTERN_SLOT))
    throw new CodeSpecError('charset must be 2-94 printable ASCII characters (not "#") or one of: ' + Object.keys(CHARSETS).join(', '), 'invalid_code_spec');
  if (new Set(charset).size !== charset.length) throw new CodeSpecError('charset has repeated characters', 'invalid_code_spec');
  const pattern = input.pattern ?? null;
  const slots = pattern === null ? null : [...pattern].filter((c) => c === PATTERN_SLOT).length;
  if (pattern !== null && !/^[A-Za-z0-9_#-]+$/.test(pattern)) throw new CodeSpecError('pattern may hold letters, digits, "-", "_" and "#"', 'invalid_code_spec');
  if (slots !== null && input.length !== undefined && input.length !== slots)
    throw new CodeSpecError(`length ${input.length} disagrees with the ${slots} "#" of the pattern`, 'invalid_code_spec');
  const length = slots ?? input.length;
  if (length === undefined || !Number.isInteger(length) || length < 4 || length > MAX_RANDOM_CHARS)
    throw new CodeSpecError(`length must be an integer in 4..${MAX_RANDOM_CHARS}`, 'invalid_code_spec');
  const prefix = input.prefix ?? '';
  const suffix = input.suffix ?? '';
  if (!LITERAL.test(prefix) || !LITERAL.test(suffix) || prefix.length > 16 || suffix.length > 16)
    throw new CodeSpecError('prefix/suffix: up to 16 letters, digits, "-" or "_"', 'invalid_code_spec');
  const leading = [...firstCharacters(charset, pattern, prefix)].filter((c) => SPREADSHEET_FORMULA_STARTERS.includes(c));
  if (leading.length > 0)
    throw new CodeSpecError(
      `codes could begin with ${leading.map((c) => `"${c}"`).join(', ')}, which a spreadsheet reads as a formula: start them with a prefix or a pattern literal, or leave ${leading.length === 1 ? 'it' : 'those'} out of the alphabet`,
      'invalid_code_spec',
    );
  const total = prefix.length + (pattern?.length ?? length) + suffix.length;
  if (total > CODE_MAX_LENGTH)
    throw new CodeSpecError(`codes would be ${total} characters long (prefix, pattern or length, suffix); at most ${CODE_MAX_LENGTH}`, 'invalid_code_spec');
  // normalizeCode upper-cases input for an upper-case alphabet: the (ASCII-only, checked above) literals must be
  // upper-case too, or a generated code would not match itself once typed back in.
  if (charset === charset.toUpperCase())
    return { length, charset, pattern: pattern?.toUpperCase() ?? null, prefix: prefix.toUpperCase(), suffix: suffix.toUpperCase() };
  return { length, charset, pattern, prefix, suffix };
}

export function isCaseInsensitive(spec: CodeSpec): boolean {
  return spec.charset === spec.charset.toUpperCase();
}

/** Total characters of a well-formed code. */
export function codeLength(spec: CodeSpec): number {
  return spec.prefix.length + (spec.pattern?.length ?? spec.length) + spec.suffix.length;
}

/** Anything outside ASCII: only such input needs the Unicode folding below (the hot path stays two string ops). */
const NON_ASCII = /[\u0080-\uffff]/;
/**
 * Invisible characters a copy from a web page or a chat brings along: zero-width ones (ZWSP, ZWNJ, ZWJ, word joiner,
 * BOM) and direction marks (LRM, RLM, ALM, embeddings, overrides and isolates: a page in Arabic or Hebrew wraps a
 * Latin code in them).
 */
const INVISIBLE = /[\u200b-\u200f\u061c\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
/**
 * What a page or a word processor shows for "-" and NFKC leaves as it is: hyphen, non-breaking hyphen (a page keeps a
 * code on one line with it), figure dash, en and em dashes, horizontal bar, minus sign.
 */
const DASHES = /[\u2010-\u2015\u2212]/g;

/**
 * What a person typed or pasted → the code as stored, the one rule every path that takes a submitted code applies
 * (the intake and its code filter lookup, admin lookups and locks, imports): full-width and other compatibility forms
 * folded (NFKC: `ＡＢ－１２` → `AB-12`), typographic dashes read as "-" and invisible characters dropped, only when
 * the input has a non-ASCII character; then trimmed and, for an upper-case alphabet, upper-cased; a code typed without
 * its separators (or with spaces for them) is laid out as the spec writes it. Control characters are left for the
 * format check (and the HTTP schemas) to refuse.
 */
export function normalizeCode(spec: CodeSpec, input: string): string {
  const folded = NON_ASCII.test(input) ? input.normalize('NFKC').replace(INVISIBLE, '').replace(DASHES, '-') : input;
  const trimmed = folded.trim();
  const cased = isCaseInsensitive(spec) ? trimmed.toUpperCase() : trimmed;
  return matchesCodeSpec(spec, cased) ? cased : laidOut(spec, cased);
}

/** Characters a person puts between a code's groups, or leaves out: whitespace, "-" and "_" (unless the alphabet has them). */
const isSeparator = (spec: CodeSpec, c: string): boolean => (c === '-' || c === '_' || /\s/.test(c)) && !spec.charset.includes(c);

/**
 * A code typed without its separators or with others (`SYN7KQ2M4XP`, `SYN 7KQ2 M4XP` for `SYN-####-####`) laid out
 * as the spec writes it; input that does not fit comes back as it is, for the format check to refuse. The separators
 * sit at fixed places, so two codes never lay out alike: this makes no code easier to guess.
 */
function laidOut(spec: CodeSpec, code: string): string {
  const typed = [...code].filter((c) => !isSeparator(spec, c));
  let next = 0;
  let out = '';
  for (const c of spec.prefix + (spec.pattern ?? PATTERN_SLOT.repeat(spec.length)) + spec.suffix) {
    if (isSeparator(spec, c)) {
      out += c;
      continue;
    }
    const got = typed[next++];
    if (got === undefined || (c !== PATTERN_SLOT && got !== c)) return code;
    out += got;
  }
  return next === typed.length ? out : code;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

const matchers = new WeakMap<CodeSpec, RegExp>();
function matcherFor(spec: CodeSpec): RegExp {
  let re = matchers.get(spec);
  if (!re) {
    const cls = `[${escapeRegex(spec.charset)}]`;
    const body = spec.pattern === null ? `${cls}{${spec.length}}` : [...spec.pattern].map((c) => (c === PATTERN_SLOT ? cls : escapeRegex(c))).join('');
    re = new RegExp(`^${escapeRegex(spec.prefix)}${body}${escapeRegex(spec.suffix)}$`);
    matchers.set(spec, re);
  }
  return re;
}

/** Does an already-normalised code have the shape of the spec? Cheap: no I/O, used to drop garbage at intake. */
export function matchesCodeSpec(spec: CodeSpec, code: string): boolean {
  return code.length === codeLength(spec) && matcherFor(spec).test(code);
}

export interface CodeStrength {
  /** log2 of the number of possible codes. */
  entropyBits: number;
  /** Number of possible codes. */
  space: number;
  /** Expected random guesses to hit one of `poolSize` live codes. */
  expectedGuessesPerHit: number;
}

export function codeStrength(spec: CodeSpec, poolSize: number): CodeStrength {
  const entropyBits = spec.length * Math.log2(spec.charset.length);
  const space = Math.pow(spec.charset.length, spec.length);
  return { entropyBits, space, expectedGuessesPerHit: space / Math.max(1, poolSize) };
}

/** A guesser must need at least this many tries per valid code. */
export const MIN_GUESSES_PER_CODE = 1e6;

/** Refuse specs whose space is too small for `count` codes (space < 1e6 × count). */
export function assertCodeSpaceFor(spec: CodeSpec, count: number): void {
  const { space, entropyBits } = codeStrength(spec, count);
  if (space < MIN_GUESSES_PER_CODE * count) {
    const needed = Math.ceil(Math.log(MIN_GUESSES_PER_CODE * count) / Math.log(spec.charset.length));
    throw new CodeSpecError(
      `a space of ${spec.charset.length}^${spec.length} (${entropyBits.toFixed(1)} bits) is too small for ${count} codes: ` +
        `a guesser would hit one in fewer than ${MIN_GUESSES_PER_CODE} tries; use at least ${needed} random characters`,
      'code_space_too_small',
    );
  }
}
