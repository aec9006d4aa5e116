import type { Command } from 'commander';
import type { Act } from '../action';
import { emit, table } from '../output';
import { positiveInt } from '../parse-options';

export function registerPublish(program: Command, act: Act): void {
  program
    .command('publish')
    .description('take COUNT available codes of a tier at once (all or none) and mark them published; prints the codes, one a line')
    .argument('<campaignId>')
    .requiredOption('--tier <tier>', 'tier to publish from')
    .requiredOption('--count <n>', 'how many codes', positiveInt)
    .option('--channel <channel>', 'where they are published (kept with the codes)')
    .option('--customer <customerId>', 'the customer they are published to')
    .option('--idempotency-key <key>', 'a retry with the same key (8-128 characters) answers the same codes')
    .action(
      act<{ tier: string; count: number; channel?: string; customer?: string; idempotencyKey?: string }>(async ({ client, out }, [id], o) => {
        const publication = await client.publish(
          id!,
          { tier: o.tier, count: o.count, ...(o.channel ? { channel: o.channel } : {}), ...(o.customer ? { customerId: o.customer } : {}) },
          o.idempotencyKey,
        );
        emit(out, publication, () => {
          // The summary on stderr: stdout stays the bare codes, ready to paste or pipe.
          out.stderr.write(`publication ${publication.publicationId}: ${publication.codes.length} ${publication.tier} codes\n`);
          return publication.codes;
        });
      }),
    );

  program
    .command('publications')
    .description("a campaign's publications, newest first")
    .argument('<campaignId>')
    .action(
      act(async ({ client, out }, [id]) => {
        const publications = await client.listPublications(id!);
        emit(out, publications, () =>
          table(
            ['PUBLICATION', 'TIER', 'CODES', 'CHANNEL', 'CUSTOMER', 'CREATED'],
            publications.map((p) => [p.publicationId, p.tier, p.codes.length, p.channel, p.customerId, p.createdAt]),
          ),
        );
      }),
    );
}
