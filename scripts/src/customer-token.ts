import { createPrivateKey, createSecretKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { loadCustomerJwtConfig } from '@dropgate/config';
import { errorMessage } from '@dropgate/core';

const USAGE = `npm run customer-token -- --sub <customer id> [--aud <audience>] [--ttl <seconds>] [--private-key <pem file>]

Mints a customer token for a campaign with customerAuth "jwt" (for testing; in production your login service signs
them). HS256 with CUSTOMER_JWT_SECRET from the environment, or RS256/ES256 with --private-key (the intake then needs
the matching public key in CUSTOMER_JWT_PUBLIC_KEY). --aud must match the campaign's customerAudience when it has one.
Prints the token; send it as "Authorization: Bearer <token>".`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      aud: { type: 'string' },
      ttl: { type: 'string', default: '600' },
      'private-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.sub) throw new Error(`--sub is required\n\n${USAGE}`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 3600) throw new Error('--ttl must be a whole number of seconds, 1 to 604800');

  let key;
  let alg: string;
  if (values['private-key']) {
    key = createPrivateKey(readFileSync(values['private-key'], 'utf8'));
    alg = key.asymmetricKeyType === 'rsa' ? 'RS256' : key.asymmetricKeyType === 'ec' ? 'ES256' : '';
    if (!alg) throw new Error('--private-key must be an RSA or P-256 EC private key (PEM)');
  } else {
    const { CUSTOMER_JWT_SECRET } = loadCustomerJwtConfig(process.env);
    if (!CUSTOMER_JWT_SECRET) throw new Error('set CUSTOMER_JWT_SECRET (the intake\'s) or pass --private-key');
    key = createSecretKey(Buffer.from(CUSTOMER_JWT_SECRET, 'utf8'));
    alg = 'HS256';
  }
  let jwt = new SignJWT({}).setProtectedHeader({ alg, typ: 'JWT' }).setSubject(values.sub).setIssuedAt().setExpirationTime(`${ttl}s`);
  if (values.aud) jwt = jwt.setAudience(values.aud);
  process.stdout.write(`${await jwt.sign(key)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`customer-token: ${errorMessage(err)}\n`);
  process.exit(1);
});
