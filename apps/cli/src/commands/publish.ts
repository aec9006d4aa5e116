import type { Command } from 'commander';
import type { Act } from '../action';
import { emit, printJson } from '../output';
import { positiveInt } from '../parse-options';

export function registerPublish(program: Command, act: Act): void {
  program
    .command('publish')
    .description('take COUNT available codes of a tier at once and mark them published; prints the codes')
    .argument('<campaignId>')
    .requiredOption('--tier <tier>', 'tier to publish from')
    .requiredOption('--count <n>', 'how many codes', positiveInt)
    .option('--channel <channel>', 'where they are published (kept with the codes)')
    .option('--customer <customerId>', 'the customer they are published to')
    .option('--idempotency-key <key>', 'a retry with the same key answers the same codes')
    .action(
      act<{ tier: string; count: number; channel?: string; customer?: string; idempotencyKey?: string }>(async ({ client, out }, [id], o) => {
        const publication = await client.publish(
          id!,
          { tier: o.tier, count: o.count, ...(o.channel ? { channel: o.channel } : {}), ...(o.customer ? { customerId: o.customer } : {}) },
          o.idempotencyKey,
        );
        emit(out, publication, () => {
          out.stderr.write(`publication ${publication.publicationId}: ${publication.codes.length} ${o.tier} codes\n`);
          return publication.codes;
        });
      }),
    );

  program
    .command('publications')
    .description("list a campaign's publications")
    .argument('<campaignId>')
    .action(
      act(async ({ client, out }, [id]) => {
        printJson(out, await client.listPublications(id!));
      }),
    );
}
