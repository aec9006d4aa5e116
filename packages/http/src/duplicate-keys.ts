/**
 * Whether a JSON text names one key twice in one object (`{"code":"A","code":{"$ne":null}}`): JSON.parse keeps the
 * last, so a check on one copy and a use of the other would see different values. The one rule for every JSON this
 * API reads (request bodies, import lines). `value` is what JSON.parse made of `text`.
 *
 * No second parse and no allocation on the usual body: the parsed value has one own key per distinct key of the text,
 * so the text has a duplicate exactly when it has more key tokens than the value has keys. Every key token is followed
 * by a `:`, so a text with no more `:` than the value has keys (the usual body: nothing in its values has one) has no
 * duplicate; only otherwise are its key tokens counted, in one pass.
 */
export function hasDuplicateKeys(text: string, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const keys = countKeys(value);
  if (countOf(text, ':') <= keys) return false;
  return countKeyTokens(text) > keys;
}

/** Every value an object or array holds, depth first, without recursion (a deep array must not overflow the stack). */
const pending: object[] = [];

/** Own keys of every object in a parsed JSON value (JSON.parse makes plain data: no inherited enumerable keys). */
function countKeys(root: object): number {
  let keys = 0;
  pending.push(root);
  try {
    while (pending.length > 0) {
      const node = pending.pop() as Record<string, unknown>;
      const isArray = Array.isArray(node);
      for (const key in node) {
        if (!isArray) keys++;
        const child = node[key];
        if (typeof child === 'object' && child !== null) pending.push(child);
      }
    }
  } finally {
    pending.length = 0;
  }
  return keys;
}

function countOf(text: string, char: string): number {
  let n = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) n++;
  return n;
}

const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Strings followed (after whitespace) by `:` in a valid JSON text: its object keys, escapes and all. */
function countKeyTokens(text: string): number {
  let n = 0;
  for (let open = text.indexOf('"'); open !== -1; ) {
    // The closing quote: the next one not escaped (an odd run of backslashes before it).
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && escaped(text, close)) close = text.indexOf('"', close + 1);
    if (close === -1) return n;
    let next = close + 1;
    while (isJsonWhitespace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) n++;
    open = text.indexOf('"', next);
  }
  return n;
}

function escaped(text: string, quote: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
