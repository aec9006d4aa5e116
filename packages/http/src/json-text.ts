import { hasDuplicateKeys } from './duplicate-keys';
import { bodyErrors } from './error-handling';

/** body-parser's strict mode: a JSON body must be an object or an array. */
const FIRST_NON_WHITESPACE = /^[ \t\n\r]*([^ \t\n\r]|$)/;

/**
 * A request body's JSON, by the one rule every route reads bodies with (the Express routes' `jsonBody` and the
 * intake's fast lane): body-parser's strict mode (an object or an array at the top, BOM dropped, the empty body is
 * `{}`), and no key twice in one object. Anything else throws the `invalid_json` error.
 */
export function parseJsonBody(text: string): unknown {
  // UTF-8 decoding in body-parser (iconv-lite) drops a byte order mark.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Its special case for a common client mistake: an empty body is `{}`.
  if (text.length === 0) return {};
  const first = text[0] === '{' || text[0] === '[' ? text[0] : FIRST_NON_WHITESPACE.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw bodyErrors.invalidJson();
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw bodyErrors.invalidJson();
  }
  if (hasDuplicateKeys(text, value)) throw bodyErrors.duplicateKey();
  return value;
}
