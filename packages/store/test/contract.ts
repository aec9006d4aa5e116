import type { Store } from '../src/store';
import { auditContract } from './audit-contract';
import { batchContract } from './batch-contract';
import { campaignContract } from './campaign-contract';
import { claimContract } from './claim-contract';
import { codesContract } from './codes-contract';
import { concurrencyContract } from './concurrency-contract';
import { PARALLEL_STORES, type ContractContext } from './context';
import { failureContract } from './failure-contract';
import type { ContractOptions, StoreHarness } from './harness';
import { heldCodesContract } from './held-codes-contract';
import { racesContract } from './races-contract';
import { redeemContract } from './redeem-contract';
import { refusalContract } from './refusal-contract';

/**
 * The one contract suite every store adapter must pass. Test names carry `store contract [<adapter>]` so the
 * jest summary reporter can say loudly which adapters really ran.
 */
export function runStoreContract(options: ContractOptions): void {
  const title = `store contract [${options.name}]`;
  if (options.skipReason) {
    process.stdout.write(`\n*** ${title}: NOT RUN — ${options.skipReason}\n`);
    describe.skip(title, () => registerAll(unreachableContext()));
    return;
  }

  let harness: StoreHarness;
  let stores: Store[] = [];
  beforeAll(async () => {
    harness = await options.createHarness();
    stores = await Promise.all(Array.from({ length: PARALLEL_STORES }, () => harness.open()));
    await stores[0]!.migrate(); // again: migrating an up-to-date store is a no-op
    process.stdout.write(`\n*** ${title}: RUNNING against a real ${options.name} (${PARALLEL_STORES} store instances)\n`);
  });
  afterEach(() => harness?.faults.clear());
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await harness?.teardown();
  });

  describe(title, () =>
    registerAll({
      store: () => stores[0]!,
      stores: () => stores,
      openTuned: (tuning) => harness.open(tuning),
      faults: () => harness.faults,
      isContention: (err) => harness.isContention(err),
      integrity: (campaignId) => harness.integrity(campaignId),
    }),
  );
}

function registerAll(ctx: ContractContext): void {
  campaignContract(ctx);
  codesContract(ctx);
  redeemContract(ctx);
  refusalContract(ctx);
  claimContract(ctx);
  concurrencyContract(ctx);
  racesContract(ctx);
  batchContract(ctx);
  heldCodesContract(ctx);
  failureContract(ctx);
  auditContract(ctx);
}

function unreachableContext(): ContractContext {
  const fail = (): never => {
    throw new Error('skipped suite has no store');
  };
  return { store: fail, stores: fail, openTuned: fail, faults: fail, isContention: fail, integrity: fail };
}
