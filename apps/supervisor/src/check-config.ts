import { EXIT_NOT_RESTARTABLE, isNotRestartable } from '@dropgate/supervision';
import { checkServiceConfigs } from './preflight';
import { errorMessage } from '@dropgate/core';

/**
 * docker compose's one-shot `config` service, which every Dropgate service waits for (through `migrate`): a bad
 * variable stops `docker compose up` before anything starts, with this message naming it and exit code 78, instead
 * of a service exiting 78 into its restart policy's loop (Docker restarts whatever the exit code, and the retry count
 * of `on-failure:N` never resets, so it cannot tell a bad configuration from a crash at runtime either).
 */
try {
  checkServiceConfigs(process.env);
  process.stdout.write('configuration accepted: intake, admin, worker\n');
} catch (err) {
  process.stderr.write(`configuration refused, nothing started: ${errorMessage(err)}\n`);
  process.exit(isNotRestartable(err) ? EXIT_NOT_RESTARTABLE : 1);
}
