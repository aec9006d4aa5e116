import type { AuditEntryView } from '@dropgate/admin-client';
import type { Command } from 'commander';
import type { Act } from '../action';
import { emit, table } from '../output';
import { positiveInt } from '../parse-options';

const MAX_DETAILS = 100;

/** `key=value` pairs, strings with spaces quoted, nulls left out. */
function pairs(values: Record<string, unknown>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
}

/** What an entry says beyond its columns, short: an admin action's request (or an import's counts), a redemption's prize. */
function detailsOf(e: AuditEntryView): string {
  const d = e.details ?? {};
  // An admin action: its request body, else what it recorded instead (an import's counts, a scheduled release's).
  const { status: _status, path: _path, body, ...recorded } = d;
  const text = e.kind === 'redemption' ? pairs({ tier: d.tier, reward: d.reward, rolledBackAt: d.rolledBackAt }) : pairs((body as Record<string, unknown> | undefined) ?? recorded);
  return text.length > MAX_DETAILS ? `${text.slice(0, MAX_DETAILS - 3)}...` : text;
}

export function registerAudit(program: Command, act: Act): void {
  program
    .command('audit')
    .description('the audit trail, newest first: admin actions (which token, what, when) and redemption outcomes')
    .option('--campaign <campaignId>', 'one campaign')
    .option('--customer <customerId>', 'one customer')
    .option('--code <code>', 'one code')
    .option('--after <cursor>', 'the next page: the cursor the previous page printed')
    .option('--limit <n>', 'at most this many entries (1-500)', positiveInt, 50)
    .action(
      act<{ campaign?: string; customer?: string; code?: string; after?: string; limit: number }>(async ({ client, out }, _args, o) => {
        const page = await client.audit({ campaignId: o.campaign, customerId: o.customer, code: o.code, after: o.after, limit: o.limit });
        emit(out, page, () => {
          if (page.next) out.stderr.write(`older entries: add --after ${page.next}\n`);
          return table(
            ['AT', 'WHO', 'ACTION', 'CAMPAIGN', 'CUSTOMER', 'CODE', 'DETAILS'],
            page.entries.map((e) => [e.at, e.kind === 'admin' ? e.actor : 'redemption', e.action, e.campaignId, e.customerId, e.code, detailsOf(e)]),
          );
        });
      }),
    );
}
