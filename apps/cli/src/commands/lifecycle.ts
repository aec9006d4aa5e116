import type { CampaignView } from '@dropgate/admin-client';
import type { Command } from 'commander';
import type { Act } from '../action';
import { emit } from '../output';

const MOVES = [
  ['pause', 'stop taking redemptions for a while (resume continues)', 'pause'],
  ['resume', 'take redemptions again (also activates a draft or a stopped campaign)', 'resume'],
  ['stop', 'stop taking redemptions (resume can reopen it)', 'stop'],
  ['end', 'end the campaign for good', 'end'],
] as const;

export function registerLifecycle(program: Command, act: Act): void {
  for (const [name, description, method] of MOVES) {
    program
      .command(name)
      .description(description)
      .argument('<campaignId>')
      .action(
        act(async ({ client, out }, [id]) => {
          const c: CampaignView = await client[method](id!);
          emit(out, c, () => [`${c.id}: ${c.status}${c.stopReason ? ` (${c.stopReason})` : ''}`]);
        }),
      );
  }
}
