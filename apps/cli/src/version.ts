import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The CLI package's version (apps/cli/package.json, next to src/ and dist/): what `dropgate --version` prints. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
