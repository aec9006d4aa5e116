import { createPublicKey } from 'node:crypto';
import { z } from 'zod';

/** The public key customer tokens are checked with, and the one algorithm it is used for. */
export interface CustomerJwtPublicKey {
  pem: string;
  algorithm: 'RS256' | 'ES256';
}

const PEM_MESSAGE = 'must be a PEM public key (RSA of 2048+ bits for RS256, or EC P-256 for ES256); "\\n" may stand for line breaks';

/**
 * CUSTOMER_JWT_PUBLIC_KEY: parsed once here, so a malformed key stops the process at start-up instead of failing every
 * token later. `\n` escapes are accepted (a PEM in a one-line .env file).
 */
export function publicKeyVar() {
  return z.string({ error: PEM_MESSAGE }).transform((raw, ctx): CustomerJwtPublicKey => {
    const pem = raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
    if (/PRIVATE KEY/.test(pem)) {
      ctx.addIssue({ code: 'custom', message: 'must be the PUBLIC key: a private key does not belong on the intake' });
      return z.NEVER;
    }
    try {
      const key = createPublicKey(pem);
      const details = key.asymmetricKeyDetails ?? {};
      if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) return { pem, algorithm: 'RS256' };
      if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return { pem, algorithm: 'ES256' };
    } catch {
      // fall through: not a key at all
    }
    ctx.addIssue({ code: 'custom', message: PEM_MESSAGE });
    return z.NEVER;
  });
}
