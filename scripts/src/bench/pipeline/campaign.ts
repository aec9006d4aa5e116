import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import type { RunningSystem } from '@dropgate/testkit';
import { formatNumber } from '../table';
import { log, seconds } from './output';
import { PER_CUSTOMER_LIMIT, TIER } from './setups';

export const longAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

export async function createCampaign(sys: RunningSystem, db: Client, codes: number): Promise<{ id: string; ms: number }> {
  const id = `bench-${randomBytes(4).toString('hex')}`;
  log(`creating campaign ${id} with ${formatNumber(codes)} codes (one admin request; progress from the database)...`);
  const started = performance.now();
  let lastCount = 0;
  const progress = setInterval(() => {
    db.query<{ n: string }>('SELECT count(*) AS n FROM codes WHERE campaign_id = $1', [id]).then(
      ({ rows }) => {
        const n = Number(rows[0]?.n ?? 0);
        if (n === lastCount) return;
        lastCount = n;
        const s = (performance.now() - started) / 1000;
        log(`  ${formatNumber(n)} / ${formatNumber(codes)} codes inserted after ${s.toFixed(1)} s (${formatNumber(Math.round(n / s))} codes/s)`);
      },
      () => undefined,
    );
  }, 3_000);
  try {
    const res = await request(`${sys.adminUrl}/admin/v1/campaigns`, {
      method: 'POST',
      dispatcher: longAgent,
      headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        name: 'pipeline bench',
        tiers: [{ name: TIER, reward: 'bench reward', quantity: codes }],
        perCustomerLimit: PER_CUSTOMER_LIMIT,
        code: { length: 12, prefix: 'BP-' },
        status: 'active',
        settings: { claims: true },
      }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`create campaign: HTTP ${res.statusCode} ${text}`);
    const created = JSON.parse(text) as { id: string };
    const ms = performance.now() - started;
    log(`campaign ${created.id} created with ${formatNumber(codes)} codes in ${seconds(ms)} (${formatNumber(Math.round(codes / (ms / 1000)))} codes/s)`);
    return { id: created.id, ms };
  } finally {
    clearInterval(progress);
  }
}
