/**
 * `node scripts/dist/measure-attempt-memory.js [--n 2000] [--concurrency 64]`: how much Redis memory one
 * FINISHED attempt keeps while it is retained (ATTEMPT_RETENTION_S, removeOnComplete {age}).
 *
 * Runs the real intake + one worker (startSystem, default job options and retention), sends N claims through
 * HTTP, waits until BullMQ has moved every job to `completed`, and compares before/after:
 *   - INFO memory used_memory (the whole server: other users of this Redis add noise, reported as such);
 *   - MEMORY USAGE (SAMPLES 0) of every key under the system's queue prefix, grouped by key kind;
 *   - MEMORY USAGE of one sample job hash, field by field.
 * The BullMQ events stream is trimmed to ~10,000 entries whatever the traffic, so its growth is reported apart
 * and left out of the per-attempt figure that scales with traffic.
 * Last line: one JSON object {"bytesPerFinishedAttempt": n, ...}.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requestJson, runPool, startSystem, waitFor, type RunningSystem } from '@dropgate/testkit';
import { parseFlags } from './bench/cli-flags';
import { formatNumber, formatTable, round } from './bench/table';
import { errorWithStack } from '@dropgate/core';

const flags = parseFlags(process.argv.slice(2), {
  usage: 'node scripts/dist/measure-attempt-memory.js [flags]: Redis bytes per finished attempt',
  numeric: { n: 2_000, concurrency: 64 },
  about: { n: 'claims sent through the intake and finished before Redis is measured', concurrency: 'claims in flight at once' },
});
const N = Math.floor(flags.n);
const TIER = 'standard';

const log = (line = ''): void => void process.stdout.write(line + '\n');

interface KeyStat {
  keys: number;
  bytes: number;
}

interface RedisMemory {
  usedMemory: number;
  dbsize: number;
  /** Our keys grouped by kind, e.g. "hash attempts:<attemptId>" → count and bytes. */
  kinds: Map<string, KeyStat>;
  ourKeys: number;
  ourBytes: number;
}

const ATTEMPT_SEGMENT = /^att_[a-z2-7]{20}$/;

/** "dge2eab12:attempts:att_xxx" → "attempts:<attemptId>" (the prefix and the job ids taken out). */
function keyKind(key: string, prefix: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length).replace(/^:/, '') : key;
  return rest
    .split(':')
    .map((seg) => (ATTEMPT_SEGMENT.test(seg) ? '<attemptId>' : seg))
    .join(':');
}

async function ourKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function measure(redis: Redis, prefix: string): Promise<RedisMemory> {
  const keys = await ourKeys(redis, prefix);
  const kinds = new Map<string, KeyStat>();
  let ourBytes = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const pipe = redis.pipeline();
    for (const key of batch) {
      pipe.type(key);
      pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    }
    const replies = (await pipe.exec()) ?? [];
    batch.forEach((key, j) => {
      const reply = replies[2 * j]?.[1];
      const type = typeof reply === 'string' ? reply : 'none';
      const bytes = Number(replies[2 * j + 1]?.[1] ?? 0);
      if (type === 'none') return; // expired/removed between SCAN and TYPE
      const kind = `${type} ${keyKind(key, prefix)}`;
      const stat = kinds.get(kind) ?? { keys: 0, bytes: 0 };
      stat.keys++;
      stat.bytes += bytes;
      kinds.set(kind, stat);
      ourBytes += bytes;
    });
  }
  const info = await redis.info('memory');
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  const dbsize = await redis.dbsize();
  return { usedMemory, dbsize, kinds, ourKeys: [...kinds.values()].reduce((n, k) => n + k.keys, 0), ourBytes };
}

async function claim(sys: RunningSystem, campaignId: string, customerId: string): Promise<{ status: number; attemptId?: string }> {
  const res = await requestJson<{ attemptId?: string }>(`${sys.intakeUrl}/v1/claims`, { body: { campaignId, customerId, tier: TIER } });
  return { status: res.status, ...(typeof res.body === 'object' && res.body?.attemptId ? { attemptId: res.body.attemptId } : {}) };
}

async function completedCount(redis: Redis, prefix: string): Promise<number> {
  const keys = (await ourKeys(redis, prefix)).filter((k) => k.endsWith(':completed'));
  let n = 0;
  for (const k of keys) n += await redis.zcard(k);
  return n;
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 1) throw new Error('--n must be a positive integer');
  const run = randomBytes(3).toString('hex');
  log(`measuring the Redis memory of ${formatNumber(N)} finished attempts (real intake + 1 worker, default job options)...`);
  const sys = await startSystem({ workers: 1, env: { RATE_LIMITS_ENABLED: 'false', LOG_LEVEL: 'warn', MAX_QUEUE_DEPTH: '10000000' } });
  const redis = new Redis(sys.env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 3 });
  let summaryLine: string | undefined;
  try {
    await redis.connect();
    const prefix = sys.queuePrefix;
    const retentionS = Number(sys.env.ATTEMPT_RETENTION_S ?? 86_400);

    const created = await requestJson<{ id: string }>(`${sys.adminUrl}/admin/v1/campaigns`, {
      body: {
        name: 'attempt memory',
        tiers: [{ name: TIER, reward: 'memory probe', quantity: N + 100 }],
        perCustomerLimit: 1,
        code: { length: 12, prefix: 'MM-' },
        status: 'active',
        settings: { claims: true },
      },
      headers: { authorization: `Bearer ${sys.adminToken}` },
      timeoutMs: 120_000,
    });
    if (created.status !== 201) throw new Error(`create campaign: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    const campaignId = created.body.id;

    // Warm-up: the catalog learns the campaign, and the queue's own keys (meta, events stream, ...) exist
    // before the "before" measurement, so fixed costs are not charged to the attempts.
    let w = 0;
    const warm = await waitFor(
      'the intake to accept a claim',
      async () => {
        const r = await claim(sys, campaignId, `warm-${run}-${w++}`);
        return r.status === 202 ? r.attemptId : undefined;
      },
      30_000,
      200,
    );
    await waitFor('the warm-up attempt to finish', async () => ((await completedCount(redis, prefix)) >= 1 ? true : undefined), 30_000, 100);
    log(`warm-up attempt ${warm} finished`);

    const before = await measure(redis, prefix);
    log(`before: used_memory ${formatNumber(before.usedMemory)} B, ${before.ourKeys} keys under "${prefix}:" (${formatNumber(before.ourBytes)} B)`);

    const started = performance.now();
    const statuses = new Map<number, number>();
    const ids = (
      await runPool(
        Array.from({ length: N }, (_, i) => async () => {
          const r = await claim(sys, campaignId, `mem-${run}-${i}`);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          return r.attemptId;
        }),
        flags.concurrency,
      )
    ).filter((id): id is string => id !== undefined);
    log(`${formatNumber(ids.length)} / ${formatNumber(N)} claims accepted in ${((performance.now() - started) / 1000).toFixed(1)} s (statuses ${JSON.stringify(Object.fromEntries(statuses))})`);
    if (ids.length !== N) throw new Error(`only ${ids.length} of ${N} claims were accepted`);

    await waitFor(
      `${N} jobs to reach "completed"`,
      async () => ((await completedCount(redis, prefix)) >= N + 1 ? true : undefined),
      10 * 60_000,
      250,
    );
    const finishedS = (performance.now() - started) / 1000;
    log(`all ${formatNumber(N)} attempts finished ${finishedS.toFixed(1)} s after the first request`);

    const after = await measure(redis, prefix);

    // One job hash, field by field.
    const sampleId = ids[Math.floor(ids.length / 2)]!;
    const sampleKey = (await ourKeys(redis, prefix)).find((k) => k.endsWith(`:${sampleId}`));
    if (!sampleKey) throw new Error(`no key for job ${sampleId}`);
    const sampleBytes = Number(await redis.call('MEMORY', 'USAGE', sampleKey, 'SAMPLES', '0'));
    const fields = await redis.hgetall(sampleKey);
    const sampleEncoding = String(await redis.call('OBJECT', 'ENCODING', sampleKey));
    const sampleTtl = await redis.ttl(sampleKey);

    // Deltas.
    const kinds = new Set([...before.kinds.keys(), ...after.kinds.keys()]);
    const kindRows = [...kinds]
      .map((kind) => {
        const b = before.kinds.get(kind) ?? { keys: 0, bytes: 0 };
        const a = after.kinds.get(kind) ?? { keys: 0, bytes: 0 };
        return { kind, keys: a.keys - b.keys, bytes: a.bytes - b.bytes, after: a };
      })
      .sort((x, y) => y.bytes - x.bytes);
    const isStream = (kind: string): boolean => kind.startsWith('stream ');
    const streamBytes = kindRows.filter((r) => isStream(r.kind)).reduce((n, r) => n + r.bytes, 0);
    const keyspaceBytes = after.ourBytes - before.ourBytes;
    const keyspaceLinear = keyspaceBytes - streamBytes;
    const usedDelta = after.usedMemory - before.usedMemory;
    const otherKeysDelta = after.dbsize - before.dbsize - (after.ourKeys - before.ourKeys);
    const eventStreams = [...after.kinds.keys()].filter(isStream);
    const streamLen = (await Promise.all((await ourKeys(redis, prefix)).filter((k) => k.endsWith(':events')).map((k) => redis.xlen(k)))).reduce((n, x) => n + x, 0);

    const perAttempt = (bytes: number): number => Math.round(bytes / N);
    const bytesPerFinishedAttempt = perAttempt(usedDelta - streamBytes);

    log('');
    log(`=== Redis memory of ${formatNumber(N)} finished attempts ===`);
    log(
      formatTable(
        ['key kind (under the queue prefix)', 'keys +', 'bytes +', 'bytes / attempt'],
        kindRows.filter((r) => r.keys !== 0 || r.bytes !== 0).map((r) => [r.kind, r.keys, r.bytes, round(r.bytes / N, 1)]),
      ),
    );
    log('');
    log(
      formatTable(
        ['figure', 'bytes', 'bytes / attempt'],
        [
          ['INFO used_memory delta (whole server)', usedDelta, perAttempt(usedDelta)],
          ['  of which events stream (capped ~10,000 entries)', streamBytes, perAttempt(streamBytes)],
          ['=> used_memory delta without the capped stream', usedDelta - streamBytes, bytesPerFinishedAttempt],
          ['MEMORY USAGE sum of our keys, delta', keyspaceBytes, perAttempt(keyspaceBytes)],
          ['  without the events stream', keyspaceLinear, perAttempt(keyspaceLinear)],
          ['sample job hash (MEMORY USAGE SAMPLES 0)', sampleBytes, sampleBytes],
        ],
      ),
    );
    log(`events stream(s) ${eventStreams.join(', ') || '(none)'}: ${formatNumber(streamLen)} entries now`);
    log(`other keys in this Redis changed by ${otherKeysDelta} meanwhile (noise in used_memory when not 0)`);
    log('');
    log(`sample job hash ${sampleKey} (${sampleEncoding}, TTL ${sampleTtl}; BullMQ removes completed jobs by age ${retentionS} s on later completions):`);
    log(
      formatTable(
        ['field', 'bytes', 'value (first 260 chars)'],
        Object.entries(fields)
          .sort((a, b) => b[1].length - a[1].length)
          .map(([k, v]) => [k, Buffer.byteLength(v), v.length > 260 ? `${v.slice(0, 260)}…` : v]),
      ),
    );
    const retainedPerMillion = (bytesPerFinishedAttempt * 1_000_000) / 2 ** 20;
    log('');
    log(
      `=> one finished attempt keeps ~${formatNumber(bytesPerFinishedAttempt)} B of Redis for ${retentionS} s: ` +
        `${formatNumber(Math.round(retainedPerMillion))} MiB per million attempts retained`,
    );

    summaryLine = JSON.stringify({
      bytesPerFinishedAttempt,
      usedMemoryDeltaPerAttempt: perAttempt(usedDelta),
      keyspaceBytesPerAttempt: perAttempt(keyspaceLinear),
      sampleJobHashBytes: sampleBytes,
      eventsStreamBytes: streamBytes,
      n: N,
      retentionS,
      mibPerMillionAttempts: round(retainedPerMillion, 0),
      otherKeysChanged: otherKeysDelta,
    });
  } finally {
    redis.disconnect();
    await sys.stop();
  }
  log('');
  log(summaryLine);
}

main().catch((err: unknown) => {
  process.stderr.write(`measure-attempt-memory failed: ${errorWithStack(err)}\n`);
  process.exitCode = 1;
});
