import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from './mongo-errors';
import type { Models } from './models';
import { sleepWithJitter } from './sleep';

const POLL_MS = 20;

/**
 * A mutual exclusion lease in the database (not in Node): insert the named document, or take it over by CAS
 * once its holder's lease has expired (the holder died). Holders renew while they work.
 */
export class LeaseMutex {
  constructor(
    private readonly models: Models,
    private readonly leaseMs: number,
  ) {}

  /** Waits for the lease; returns the owner token to renew/release with. */
  async acquire(name: string): Promise<string> {
    const owner = randomUUID();
    const giveUpAt = Date.now() + 3 * this.leaseMs;
    while (Date.now() < giveUpAt) {
      try {
        await this.models.mutexes.create({ _id: name, owner, until: new Date(Date.now() + this.leaseMs) });
        return owner;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      const taken = await this.models.mutexes.updateOne(
        { _id: name, until: { $lte: new Date() } },
        { $set: { owner, until: new Date(Date.now() + this.leaseMs) } },
      );
      if (taken.modifiedCount === 1) return owner;
      await sleepWithJitter(POLL_MS);
    }
    throw new Error(`lease ${name} stayed busy for ${3 * this.leaseMs} ms`);
  }

  /** Extends the lease; throws if it was lost (taken over after expiring), so the holder stops writing. */
  async renew(name: string, owner: string): Promise<void> {
    const res = await this.models.mutexes.updateOne({ _id: name, owner }, { $set: { until: new Date(Date.now() + this.leaseMs) } });
    if (res.matchedCount !== 1) throw new Error(`lease ${name} was lost`);
  }

  async release(name: string, owner: string): Promise<void> {
    await this.models.mutexes.deleteOne({ _id: name, owner });
  }
}
