/**
 * `npm run admin-token -- --name ops --scopes read,write`: makes a new random admin token and prints it with its
 * ADMIN_TOKENS entry (`name:scope1+scope2:sha256hex`). Only the hash goes into the configuration; give the token
 * itself to its holder (it is shown once, here).
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ADMIN_SCOPES } from '@dropgate/config';
import { errorMessage } from '@dropgate/core';

const USAGE = `npm run admin-token -- --name <name> --scopes ${ADMIN_SCOPES.join(',')}

  --name    who holds it (shown in the audit trail): letters, digits, ".", "_" or "-", at most 64
  --scopes  comma-separated: ${ADMIN_SCOPES.join(', ')}
  --json    print {"name","scopes","token","entry"} instead`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function main(): void {
  let values: { name?: string | undefined; scopes?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { name: { type: 'string' }, scopes: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(errorMessage(err));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const name = values.name ?? fail('--name is required');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) fail('--name: letters, digits, ".", "_" or "-", at most 64');
  const scopes = [...new Set((values.scopes ?? fail('--scopes is required')).split(',').map((s) => s.trim()).filter(Boolean))];
  const unknown = scopes.find((s) => !(ADMIN_SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown !== undefined) fail(`--scopes: one or more of ${ADMIN_SCOPES.join(', ')}${unknown ? ` (not "${unknown}")` : ''}`);

  const token = randomBytes(32).toString('base64url');
  const entry = `${name}:${scopes.join('+')}:${createHash('sha256').update(token).digest('hex')}`;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ name, scopes, token, entry })}\n`);
    return;
  }
  process.stdout.write(
    [
      `token (give it to "${name}"; shown only now):`,
      `  ${token}`,
      '',
      'ADMIN_TOKENS entry (comma-separate several; only this hash goes into the configuration):',
      `  ${entry}`,
      '',
    ].join('\n'),
  );
}

main();
