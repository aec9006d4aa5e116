import { CODE_STATES } from '@dropgate/core';
import type { Command } from 'commander';
import type { Act } from '../action';
import { emit, table } from '../output';

export function registerStats(program: Command, act: Act): void {
  program
    .command('stats')
    .description('codes by tier and state, redemptions, attempt outcomes and wrong codes sent')
    .argument('<campaignId>')
    .action(
      act(async ({ client, out }, [id]) => {
        const s = await client.stats(id!);
        emit(out, s, () => [
          `${s.campaignId}: ${s.status}, ${s.redemptions} redeemed${s.target === null ? '' : ` of target ${s.target}`}`,
          ...table(
            ['TIER', ...CODE_STATES.map((st) => st.toUpperCase())],
            Object.entries(s.codes).map(([tier, counts]) => [tier, ...CODE_STATES.map((st) => counts[st] ?? 0)]),
          ),
          ...(Object.keys(s.outcomes).length > 0 ? ['outcomes: ' + Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')] : []),
          `wrong codes sent: ${s.wrongCodes ?? 'unknown (not readable now)'}`,
        ]);
      }),
    );
}
