import { AdminApiError } from '@dropgate/admin-client';
import { ConfigError, loadCliConfig } from '@dropgate/config';
import { CommanderError } from 'commander';
import { EXIT_CODES, exitCodeFor } from './exit-codes';
import { createProgram } from './program';
import { errorMessage, errorWithStack } from '@dropgate/core';

/** `dropgate` (or `npm run cli --`): parses, runs one command, exits with a documented code. */
async function main(): Promise<number> {
  let config;
  try {
    config = loadCliConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dropgate: ${err.message}\n`);
      return EXIT_CODES.usage;
    }
    throw err;
  }
  const program = createProgram({ config, stdout: process.stdout, stderr: process.stderr });
  if (process.argv.length <= 2) {
    program.outputHelp({ error: true });
    return EXIT_CODES.usage;
  }
  try {
    await program.parseAsync(process.argv);
    return EXIT_CODES.ok;
  } catch (err) {
    // commander already printed its own message (usage errors, --help).
    if (!(err instanceof CommanderError)) process.stderr.write(`dropgate: ${describe(err)}\n`);
    return exitCodeFor(err);
  }
}

function describe(err: unknown): string {
  if (err instanceof AdminApiError) return `${err.code} (HTTP ${err.status}): ${err.message}`;
  return errorMessage(err);
}

// A reader that stops early (`dropgate export c1 | head`) closes the pipe: the end of the output it wanted, not a
// failure of the API (it was "dropgate: write EPIPE", exit 4). Listening first, this answers before any other listener.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_CODES.ok);
  process.stderr.write(`dropgate: cannot write the output: ${err.message}\n`);
  process.exit(EXIT_CODES.usage);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`dropgate: ${errorWithStack(err)}\n`);
    process.exitCode = EXIT_CODES.unavailable;
  },
);
