import { Command } from 'commander';
import { actionFor } from './action';
import { registerCampaign } from './commands/campaign';
import { registerAudit } from './commands/audit';
import { registerCodes, registerExport } from './commands/codes';
import { registerJob } from './commands/job';
import { registerLifecycle } from './commands/lifecycle';
import { registerLocks } from './commands/locks';
import { registerPublish } from './commands/publish';
import { registerStats } from './commands/stats';
import type { ContextSource } from './context';
import { EXIT_CODES_HELP } from './exit-codes';
import { httpUrl } from './parse-options';
import { cliVersion } from './version';

/** The `dropgate` command tree. Errors are thrown (exitOverride), never `process.exit`ed here: main maps them. */
export function createProgram(source: ContextSource): Command {
  const program = new Command('dropgate')
    .description('Dropgate admin from a terminal: campaigns, codes, publications, locks, lifecycle, audit')
    .option('--url <url>', 'admin API base URL (default: $DROPGATE_ADMIN_URL or http://127.0.0.1:3001)', httpUrl)
    .option('--token <token>', 'admin bearer token (default: $DROPGATE_TOKEN; prefer the variable: flags show in ps)')
    .option('--json', 'print results as JSON (progress and messages stay on stderr)')
    .version(cliVersion(), '-V, --version', 'print the version of dropgate')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => source.stdout.write(s), writeErr: (s) => source.stderr.write(s) })
    .addHelpText('after', EXIT_CODES_HELP);
  const act = actionFor(source);
  registerCampaign(program, act);
  registerCodes(program, act);
  registerJob(program, act);
  registerExport(program, act);
  registerPublish(program, act);
  registerLocks(program, act);
  registerLifecycle(program, act);
  registerStats(program, act);
  registerAudit(program, act);
  return program;
}
