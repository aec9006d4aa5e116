import { AdminClient } from '@dropgate/admin-client';
import type { CliConfig } from '@dropgate/config';
import type { Command } from 'commander';
import { MissingTokenError } from './exit-codes';
import type { Output } from './output';

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** What every command runs with: the configured client and where to write. */
export interface CommandContext {
  client: AdminClient;
  out: Output;
}

export interface ContextSource {
  config: CliConfig;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  fetch?: typeof fetch;
}

/** Builds the context from the global flags (which win) and the environment. */
export function contextFor(command: Command, source: ContextSource): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const token = opts.token ?? source.config.DROPGATE_TOKEN;
  if (!token) throw new MissingTokenError('no admin token: set DROPGATE_TOKEN or pass --token');
  return {
    client: new AdminClient({ baseUrl: opts.url ?? source.config.DROPGATE_ADMIN_URL, token, fetch: source.fetch }),
    out: { json: Boolean(opts.json), stdout: source.stdout, stderr: source.stderr },
  };
}
