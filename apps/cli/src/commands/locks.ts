import type { LockRequest } from '@dropgate/admin-client';
import type { Command } from 'commander';
import type { Act } from '../action';
import { UsageError } from '../exit-codes';
import { emit, notFoundLines, table } from '../output';
import { duration, isoDate, list, positiveInt } from '../parse-options';

interface LockOptions {
  tier?: string;
  count?: number;
  codes?: string[];
  releaseAt?: string;
  releaseIn?: number;
  before?: number;
  reason?: string;
}

export function registerLocks(program: Command, act: Act): void {
  program
    .command('lock')
    .description('lock codes (a tier and a count, or a list) so nobody can redeem them; optionally released at a time')
    .argument('<campaignId>')
    .option('--tier <tier>', 'tier to lock from')
    .option('--count <n>', 'how many codes of the tier', positiveInt)
    .option('--codes <codes>', 'these codes (comma separated, repeatable)', list)
    .option('--release-at <iso>', 'release them by themselves at this time (ISO, with its zone: 2026-12-24T20:00:00Z)', isoDate)
    .option('--release-in <duration>', 'release them by themselves after 90s, 30m, 2h, ...', duration)
    .option('--before <duration>', 'with --release-at: that long before it (e.g. --release-at <show time> --before 30m)', duration)
    .option('--reason <reason>', 'why (kept in the audit log)')
    .action(
      act<LockOptions>(async ({ client, out }, [id], o) => {
        if (o.releaseAt && o.releaseIn !== undefined) throw new UsageError('--release-at and --release-in exclude each other');
        if (!o.codes && (o.tier === undefined || o.count === undefined)) throw new UsageError('lock needs --tier and --count, or --codes');
        if (o.codes && (o.tier !== undefined || o.count !== undefined)) throw new UsageError('lock takes --tier and --count, or --codes, not both');
        if (o.before !== undefined && !o.releaseAt) throw new UsageError('--before goes with --release-at');
        const releaseAt = o.releaseAt
          ? new Date(Date.parse(o.releaseAt) - (o.before ?? 0)).toISOString()
          : o.releaseIn === undefined
            ? undefined
            : new Date(Date.now() + o.releaseIn).toISOString();
        const body: LockRequest = {
          ...(o.tier ? { tier: o.tier } : {}),
          ...(o.count ? { count: o.count } : {}),
          ...(o.codes ? { codes: o.codes } : {}),
          ...(releaseAt ? { releaseAt } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        };
        const result = await client.lock(id!, body);
        // The codes themselves with --json (or `export --state locked`): a tier's batch can be thousands.
        emit(out, result, () => [
          `locked ${result.locked} codes${result.reason ? ` (${result.reason})` : ''}${result.releaseAt ? `, released by themselves at ${result.releaseAt}` : ''}`,
          ...notFoundLines(result.notFound),
        ]);
      }),
    );

  program
    .command('locks')
    .description('the codes locked now, by tier, release time and reason (timed ones first, soonest first)')
    .argument('<campaignId>')
    .action(
      act(async ({ client, out }, [id]) => {
        const groups = await client.locks(id!);
        emit(out, groups, () =>
          groups.length === 0 ? ['no code is locked'] : table(['TIER', 'COUNT', 'RELEASED AT', 'REASON'], groups.map((g) => [g.tier, g.count, g.releaseAt ?? 'by hand', g.reason])),
        );
      }),
    );

  program
    .command('release')
    .description('release locked codes now (all locked codes of the campaign, or a tier, or a list)')
    .argument('<campaignId>')
    .option('--tier <tier>', 'only this tier')
    .option('--codes <codes>', 'only these codes (comma separated, repeatable)', list)
    .action(
      act<{ tier?: string; codes?: string[] }>(async ({ client, out }, [id], o) => {
        const result = await client.release(id!, { ...(o.tier ? { tier: o.tier } : {}), ...(o.codes ? { codes: o.codes } : {}) });
        emit(out, result, () => [`released ${result.released} codes`, ...notFoundLines(result.notFound)]);
      }),
    );
}
