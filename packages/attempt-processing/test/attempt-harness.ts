import { randomBytes } from 'node:crypto';
import { Worker, type Processor } from 'bullmq';
import { generateCodes, heldFrom, resolveCodeSpec, type AttemptResult, type Campaign, type HoldRule } from '@dropgate/core';
import { BlockMirror, createRateGuard, rateGuardPrefix, SharedSourceBlocks, sourceBlocksPrefix } from '@dropgate/guard';
import { closeRedis, createAttemptQueue, createRedis, QUEUES, type AttemptQueue } from '@dropgate/queue';
import type { Store } from '@dropgate/store';
import { createPostgresStore } from '@dropgate/store-postgres';
import { deleteKeysByPrefix, tempPgSchema, TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import type { ProcessDeps, ReceivedAttemptJob } from '../src/index';

/**
 * What the processor's integration tests share, wired as apps/intake and apps/worker wire it: a real PostgreSQL store
 * (random schema) holding one active campaign and its codes, real Redis (random prefix) with the attempts queue, the
 * intake's and the worker's sides of the source guards, and real BullMQ workers. Not built into dist (test/ is no
 * part of the package's build).
 */

type Redis = ReturnType<typeof createRedis>;
type Data = ReceivedAttemptJob['data'];

/** The distinct-customer caps of the intake's rate guard (their counters are the hold rule's evidence). */
export const CAPS = { perAddress: 10, perSubnet: 50, windowS: 600, blockS: 600 };

export const attemptId = (label: string): string => `att_${label}_${randomBytes(6).toString('hex')}`;

/** The hold's rule over CAPS: looks `stepMs` apart, up to `holdMaxMs` from acceptance. */
export function holdRule(stepMs: number, holdMaxMs: number): HoldRule {
  return { stepMs, holdMaxMs, heldAddressCustomers: heldFrom(CAPS.perAddress), heldSubnetCustomers: heldFrom(CAPS.perSubnet) };
}

export interface HarnessOptions {
  /** Names the schema (`dg_<label>_…`), the key prefix (`dg<label>…`) and the connections. */
  label: string;
  /** The campaign's code pattern (e.g. `DV-####-####`), its one tier's reward and how many codes it gets. */
  pattern: string;
  reward: string;
  codes: number;
}

export interface RunningWorker {
  worker: Worker<Data, AttemptResult>;
  /** Closes the worker (`force`: without waiting for its jobs, as a process that dies) and its own connection. */
  close(force?: boolean): Promise<void>;
}

export interface AttemptHarness {
  store: Store;
  /** The test's and the intake's connection. */
  redis: Redis;
  prefix: string;
  queue: AttemptQueue;
  campaign: Campaign;
  codes: string[];
  /** A BullMQ worker running `processor` on its own connection, as apps/worker runs it. */
  startWorker(processor: Processor<Data, AttemptResult>, concurrency: number): Promise<RunningWorker>;
  /** Closes every worker still running and every connection, drops the schema, deletes the keys. */
  close(): Promise<void>;
}

export async function startAttemptHarness(options: HarnessOptions): Promise<AttemptHarness> {
  const schema = tempPgSchema(`dg_${options.label}`);
  const prefix = `dg${options.label}${randomBytes(4).toString('hex')}`;
  const store = createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: schema.name, poolSize: 4, applicationName: `dropgate-${options.label}-test` });
  await store.migrate();
  const codeSpec = resolveCodeSpec({ pattern: options.pattern });
  const campaign = await store.campaigns.create({ name: options.label, status: 'active', tiers: [{ name: 'standard', reward: options.reward }], perCustomerLimit: 1, codeSpec });
  const codes = generateCodes(codeSpec, options.codes);
  await store.codes.insert(campaign.id, codes.map((code) => ({ code, tier: 'standard' })));
  const redis = createRedis(TEST_REDIS_URL, 'client', `${options.label}-test`, { onError: () => undefined });
  const queue = createAttemptQueue(redis, prefix);
  await queue.waitUntilReady();

  const running = new Set<RunningWorker>();
  return {
    store,
    redis,
    prefix,
    queue,
    campaign,
    codes,
    async startWorker(processor, concurrency) {
      const connection = createRedis(TEST_REDIS_URL, 'worker', `${options.label}-test-worker`, { onError: () => undefined });
      const worker = new Worker<Data, AttemptResult>(QUEUES.attempts, processor, { connection, prefix, concurrency });
      worker.on('error', () => undefined);
      await worker.waitUntilReady();
      const handle: RunningWorker = {
        worker,
        async close(force = false) {
          running.delete(handle);
          await worker.close(force);
          await closeRedis(connection);
        },
      };
      running.add(handle);
      return handle;
    },
    async close() {
      for (const handle of [...running]) await handle.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await closeRedis(redis);
      await store.close();
      await schema.drop();
      await deleteKeysByPrefix(prefix);
    },
  };
}

export interface SourceGuards {
  /** What the intake does when one of its layers blocks a source: its mirror takes the block, shared through Redis. */
  intakeMirror: BlockMirror;
  /** Customers named from `ip` through the intake's rate guard (distinct ids counted for its address and /24): allowed, each. */
  nameCustomers(ip: string, customerIds: string[]): Promise<boolean[]>;
  /** What a worker reads of a source (blocked now, its distinct customers), as apps/worker's main.ts wires it. */
  sourceEvidence: NonNullable<ProcessDeps['sourceEvidence']>;
}

/** The intake's side of the source guards (rate guard over CAPS, block mirror) and the worker's, on the harness's Redis. */
export function sourceGuards({ redis, prefix }: Pick<AttemptHarness, 'redis' | 'prefix'>): SourceGuards {
  const intakeMirror = new BlockMirror();
  new SharedSourceBlocks({ redis, prefix: sourceBlocksPrefix(prefix) }).follow(intakeMirror);
  const intakeGuard = createRateGuard({
    redis,
    prefix: rateGuardPrefix(prefix),
    ipPoints: 1000,
    ipDurationS: 1,
    ipBlockS: 60,
    customerPoints: 1000,
    customerDurationS: 1,
    customerBlockS: 60,
    distinctCustomers: CAPS,
    mirror: intakeMirror,
  });
  const workerBlocks = new SharedSourceBlocks({ redis, prefix: sourceBlocksPrefix(prefix), distinctPrefix: rateGuardPrefix(prefix) });
  return {
    intakeMirror,
    async nameCustomers(ip, customerIds) {
      const allowed: boolean[] = [];
      for (const customerId of customerIds) allowed.push((await intakeGuard.check({ ip, customerId })).allowed);
      return allowed;
    },
    sourceEvidence: (source) => workerBlocks.evidence(source),
  };
}
