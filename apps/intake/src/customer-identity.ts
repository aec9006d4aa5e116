import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors, jwtVerify, type JWSHeaderParameters } from 'jose';
import { normalizeCustomerId, type Campaign } from '@dropgate/core';
import { ApiError, schemas } from '@dropgate/http';

/** The operator's keys for customer tokens, from the config (CUSTOMER_JWT_SECRET, CUSTOMER_JWT_PUBLIC_KEY). */
export interface CustomerTokenKeys {
  secret?: string | undefined;
  publicKey?: { pem: string; algorithm: 'RS256' | 'ES256' } | undefined;
}

const MAX_TOKEN_LENGTH = 4096;
/** Clock skew tolerated on `exp`/`nbf` between the operator's signer and this process. */
const CLOCK_TOLERANCE_S = 5;

/**
 * Verifies customer JWTs with the keys it was built with: no I/O (no JWKS fetch), only what the token's own header
 * names among the configured algorithms (HS256 with the secret; RS256 or ES256 with the public key). `sub` is the
 * customer (normalised), `exp` is required, `aud` must match when the campaign sets one.
 */
export class CustomerTokenVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(config: CustomerTokenKeys) {
    if (config.secret !== undefined) this.keys.set('HS256', createSecretKey(Buffer.from(config.secret, 'utf8')));
    if (config.publicKey !== undefined) this.keys.set(config.publicKey.algorithm, createPublicKey(config.publicKey.pem));
  }

  get configured(): boolean {
    return this.keys.size > 0;
  }

  /** The normalised customer id the token names; throws a 401 `ApiError` otherwise. */
  async verify(token: string, audience: string | null): Promise<string> {
    const algorithms = [...this.keys.keys()];
    try {
      const { payload } = await jwtVerify(token, (header: JWSHeaderParameters) => this.keyFor(header), {
        algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(audience === null ? {} : { audience }),
      });
      const sub = schemas.customerId.safeParse(payload.sub);
      if (!sub.success) throw tokenRefused('customer_token_invalid', 'the token names no valid customer (sub)');
      return sub.data;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof errors.JWTExpired) throw tokenRefused('customer_token_expired', 'the customer token has expired');
      if (err instanceof errors.JWTClaimValidationFailed)
        throw tokenRefused('customer_token_invalid', `the customer token's "${err.claim}" claim is missing or wrong`);
      throw tokenRefused('customer_token_invalid', 'the customer token is not valid');
    }
  }

  private keyFor(header: JWSHeaderParameters): KeyObject {
    const key = header.alg === undefined ? undefined : this.keys.get(header.alg);
    if (!key) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    return key;
  }
}

/**
 * A 401 about the customer token, with the challenge RFC 6750 §3 gives a bearer-token API: `error="invalid_token"`
 * when one was sent but is refused, no error code when none was sent.
 */
function tokenRefused(code: 'customer_token_missing' | 'customer_token_invalid' | 'customer_token_expired', message: string): ApiError {
  const challenge = code === 'customer_token_missing' ? 'Bearer realm="dropgate"' : 'Bearer realm="dropgate", error="invalid_token"';
  return new ApiError(code, message, { challenge });
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
  if (!match || match[1]!.length > MAX_TOKEN_LENGTH) throw tokenRefused('customer_token_invalid', 'Authorization must be "Bearer <JWT>"');
  return match[1];
}

/**
 * Who the attempt is for. `customerAuth: "none"`: the body's `customerId` (required). `"jwt"`: the token's `sub`; a
 * body `customerId` may be left out, and if given must be the same customer (403 `customer_mismatch`). Both sides are
 * normalised (@dropgate/core), so "Alice" in the body matches a token for "alice". Never does I/O.
 */
export async function identifyCustomer(
  verifier: CustomerTokenVerifier,
  campaign: Campaign,
  req: IncomingMessage,
  bodyCustomerId: string | undefined,
): Promise<string> {
  if (campaign.settings.customerAuth === 'none') {
    if (bodyCustomerId === undefined) throw new ApiError('invalid_request', 'customerId is required', { details: [{ path: 'customerId', problem: 'required' }] });
    return bodyCustomerId;
  }
  const token = bearerToken(req);
  if (token === undefined) throw tokenRefused('customer_token_missing', 'this campaign needs a customer token: Authorization: Bearer <JWT>');
  if (!verifier.configured) throw new ApiError('unavailable', 'customer tokens cannot be verified here (no key configured)', { retryAfterS: 60 });
  const customerId = await verifier.verify(token, campaign.settings.customerAudience);
  if (bodyCustomerId !== undefined && normalizeCustomerId(bodyCustomerId) !== customerId)
    throw new ApiError('customer_mismatch', 'customerId is not the customer the token names');
  return customerId;
}
