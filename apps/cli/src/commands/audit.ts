import type { Command } from 'commander';
import type { Act } from '../action';
import { printJson } from '../output';
import { isoDate, positiveInt } from '../parse-options';

export function registerAudit(program: Command, act: Act): void {
  program
    .command('audit')
    .description('the audit trail: admin actions and redemption outcomes')
    .option('--campaign <campaignId>', 'one campaign')
    .option('--customer <customerId>', 'one customer')
    .option('--code <code>', 'one code')
    .option('--after <iso>', 'only entries after this time', isoDate)
    .option('--limit <n>', 'at most this many entries', positiveInt)
    .action(
      act<{ campaign?: string; customer?: string; code?: string; after?: string; limit?: number }>(async ({ client, out }, _args, o) => {
        const entries = await client.audit({ campaignId: o.campaign, customerId: o.customer, code: o.code, after: o.after, limit: o.limit });
        printJson(out, entries);
      }),
    );
}
