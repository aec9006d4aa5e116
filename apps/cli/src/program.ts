import { Command } from 'commander';
import { actionFor } from './action';
import { registerCampaign } from './commands/campaign';
import { registerExport } from './commands/codes';
import { registerLifecycle } from './commands/lifecycle';
import { registerStats } from './commands/stats';
import type { ContextSource } from './context';
import { EXIT_CODES_HELP } from './exit-codes';

/** The `dropgate` command tree. Errors are thrown (exitOverride), never `process.exit`ed here: main maps them. */
export function createProgram(source: ContextSource): Command {
  const program = new Command('dropgate')
    .description('Dropgate admin from a terminal: campaigns, codes, publications, locks, lifecycle, audit')
    .option('--url <url>', 'admin API base URL (default: $DROPGATE_ADMIN_URL or http://127.0.0.1:3001)')
    .option('--token <token>', 'admin bearer token (default: $DROPGATE_TOKEN; prefer the variable: flags show in ps)')
    .option('--json', 'print results as JSON (progress and messages stay on stderr)')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => source.stdout.write(s), writeErr: (s) => source.stderr.write(s) })
    .addHelpText('after', EXIT_CODES_HELP);
  const act = actionFor(source);
  registerCampaign(program, act);
  registerExport(program, act);
  registerLifecycle(program, act);
  registerStats(program, act);
  // Written against the paths, registered once their endpoints are on main (none is yet):
  // generate/import/rollback (registerCodes), publish/publications (registerPublish), lock/release (registerLocks),
  // audit (registerAudit), job (registerJob).
  return program;
}
