import type { CampaignView, NewCampaignRequest, NewTier } from '@dropgate/admin-client';
import type { Command } from 'commander';
import type { Act } from '../action';
import { emit, table } from '../output';
import { isoDate, positiveInt, tierSpec } from '../parse-options';

/** Without --pattern or --length: 12 characters of the default alphabet, far too many to guess. */
const DEFAULT_CODE_LENGTH = 12;

interface CreateOptions {
  name: string;
  id?: string;
  tier: NewTier[];
  perCustomer: number;
  pattern?: string;
  length?: number;
  charset?: string;
  prefix?: string;
  target?: number;
  draft?: boolean;
  startsAt?: string;
  endsAt?: string;
  requirePublication?: boolean;
}

export function campaignLines(c: CampaignView): string[] {
  return [
    `id:          ${c.id}`,
    `name:        ${c.name}`,
    `status:      ${c.status}${c.stopReason ? ` (${c.stopReason})` : ''}`,
    `redeemed:    ${c.redeemedCount}${c.target === null ? '' : ` of target ${c.target}`}`,
    `window:      ${c.startsAt ?? 'now'} → ${c.endsAt ?? 'open'}`,
    `per customer: ${c.perCustomerLimit}${c.redeemRequiresPublication ? ' · published codes only' : ''}`,
    `codes:       ${c.codeSpec.pattern ?? `${c.codeSpec.prefix}${'#'.repeat(c.codeSpec.length)}${c.codeSpec.suffix}`}`,
    ...table(
      ['TIER', 'REWARD', 'PER CUSTOMER'],
      c.tiers.map((t) => [t.name, t.reward, t.perCustomerLimit]),
    ).map((l) => `  ${l}`),
  ];
}

export function registerCampaign(program: Command, act: Act): void {
  const campaign = program.command('campaign').description('create, list and show campaigns');

  campaign
    .command('create')
    .description('create a campaign with its codes (active unless --draft)')
    .requiredOption('--name <name>', 'campaign name')
    .requiredOption('--tier <name:quantity[:reward]>', 'a tier and how many codes it gets (repeatable)', tierSpec)
    .option('--id <id>', 'choose the campaign id (letters, digits, _ or -)')
    .option('--per-customer <n>', 'successful redemptions per customer', positiveInt, 1)
    .option('--pattern <pattern>', 'code layout, # is a random character (e.g. SKATE-####-####)')
    .option('--length <n>', `random characters per code (without --pattern; default ${DEFAULT_CODE_LENGTH})`, positiveInt)
    .option('--charset <charset>', 'alphabet name or the characters themselves')
    .option('--prefix <prefix>', 'literal prefix (without --pattern)')
    .option('--target <n>', 'stop by itself after this many redemptions', positiveInt)
    .option('--starts-at <iso>', 'opens at (ISO date)', isoDate)
    .option('--ends-at <iso>', 'closes at (ISO date)', isoDate)
    .option('--require-publication', 'only published codes can be redeemed')
    .option('--draft', 'create as a draft (resume to activate)')
    .action(
      act<CreateOptions>(async ({ client, out }, _args, o) => {
        const body: NewCampaignRequest = {
          name: o.name,
          tiers: o.tier,
          perCustomerLimit: o.perCustomer,
          code: {
            ...(o.pattern ? { pattern: o.pattern } : { length: o.length ?? DEFAULT_CODE_LENGTH }),
            ...(o.charset ? { charset: o.charset } : {}),
            ...(o.prefix ? { prefix: o.prefix } : {}),
          },
          status: o.draft ? 'draft' : 'active',
          ...(o.id ? { id: o.id } : {}),
          ...(o.target ? { target: o.target } : {}),
          ...(o.startsAt ? { startsAt: o.startsAt } : {}),
          ...(o.endsAt ? { endsAt: o.endsAt } : {}),
          ...(o.requirePublication ? { redeemRequiresPublication: true } : {}),
        };
        const created = await client.createCampaign(body);
        emit(out, created, () => campaignLines(created));
      }),
    );

  campaign
    .command('list')
    .description('every campaign')
    .action(
      act(async ({ client, out }) => {
        const campaigns = await client.listCampaigns();
        emit(out, campaigns, () =>
          table(
            ['ID', 'STATUS', 'REDEEMED', 'TARGET', 'TIERS', 'NAME'],
            campaigns.map((c) => [c.id, c.status, c.redeemedCount, c.target, c.tiers.map((t) => t.name).join(','), c.name]),
          ),
        );
      }),
    );

  campaign
    .command('show')
    .description('one campaign')
    .argument('<campaignId>')
    .action(
      act(async ({ client, out }, [id]) => {
        const c = await client.getCampaign(id!);
        emit(out, c, () => campaignLines(c));
      }),
    );
}
