import { Redis } from 'ioredis';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@dropgate/testkit';
import { errorMessage } from '@dropgate/core';

/**
 * Fails at once, saying what to start, when the Redis or PostgreSQL the benches run against is not there (rather
 * than a migration error or a start-up time-out half a minute later).
 */
export async function requireServices(redisUrl = TEST_REDIS_URL, databaseUrl = TEST_DATABASE_URL): Promise<void> {
  const problems: string[] = [];
  const redis = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 3000, connectionName: 'dropgate:bench:preflight' });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(`Redis is not reachable at ${redisUrl} (${errorMessage(err)}): start redis-server, or set REDIS_URL`);
  } finally {
    redis.disconnect();
  }
  const db = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000, application_name: 'dropgate-bench-preflight' });
  try {
    await db.connect();
    await db.query('SELECT 1');
  } catch (err) {
    problems.push(`PostgreSQL is not reachable at ${databaseUrl.replace(/\/\/[^@/]*@/, '//…@')} (${errorMessage(err)}): start it, or set DATABASE_URL`);
  } finally {
    await db.end().catch(() => undefined);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
