/**
 * The API's error vocabulary: one table of stable error codes and their HTTP status. Every error response
 * of every app is `{"error": {"code", "message"}}` built from this table.
 */
export const API_ERRORS = {
  invalid_request: 400,
  /** Refused by the HTTP parser before any route saw it (malformed request line, headers or framing). */
  bad_request: 400,
  invalid_json: 400,
  invalid_code_format: 400,
  invalid_code_spec: 400,
  /** An active campaign (created, patched or activated) whose endsAt is not in the future: it could take nothing. */
  ends_at_in_past: 400,
  unauthorized: 401,
  /** A campaign with customerAuth "jwt": no token, a bad one, an expired one. */
  customer_token_missing: 401,
  customer_token_invalid: 401,
  customer_token_expired: 401,
  forbidden: 403,
  /** POST /v1/claims on a campaign whose settings.claims is false (redeeming a known code still works). */
  claims_disabled: 403,
  /** The body's customerId is not the customer the token names. */
  customer_mismatch: 403,
  not_found: 404,
  campaign_not_found: 404,
  attempt_not_found: 404,
  code_not_found: 404,
  job_not_found: 404,
  method_not_allowed: 405,
  /** The client did not send its headers (HTTP_HEADERS_TIMEOUT_MS) or whole request (HTTP_REQUEST_TIMEOUT_MS) in time. */
  request_timeout: 408,
  invalid_status_transition: 409,
  campaign_not_active: 409,
  sold_out: 409,
  not_enough_codes: 409,
  campaign_exists: 409,
  publication_conflict: 409,
  code_not_redeemed: 409,
  /** A draft activated while a generation or import job for it is pending or running: it would go live half filled. */
  codes_job_in_progress: 409,
  /** A cancel of a background job that has already ended (completed, failed or cancelled). */
  job_finished: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  code_space_too_small: 422,
  unknown_tier: 422,
  rate_limited: 429,
  /** Request headers over Node's limit (16 KiB). */
  headers_too_large: 431,
  internal_error: 500,
  overloaded: 503,
  unavailable: 503,
  /** The admin started without ADMIN_TOKENS: it stays up (no restart loop) and answers every request with this. */
  admin_not_configured: 503,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly options: {
      retryAfterS?: number | undefined;
      details?: unknown;
      /** A 401's `WWW-Authenticate` challenge (RFC 9110 §15.5.2: a 401 carries one), e.g. `Bearer realm="..."`. */
      challenge?: string | undefined;
    } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERRORS[code];
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.options.details === undefined ? {} : { details: this.options.details }) } };
  }
}

export function isApiErrorCode(value: string): value is ApiErrorCode {
  return Object.prototype.hasOwnProperty.call(API_ERRORS, value);
}
