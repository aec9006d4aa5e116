import type { Client } from 'pg';
import type { CodeSpec } from '@dropgate/core';
import type { RunningSystem } from '@dropgate/testkit';

export interface SeededCampaign {
  id: string;
  codeSpec: CodeSpec;
}

/**
 * Creates a campaign through the admin API (which writes it through the store, and does whatever else a real
 * creation triggers, e.g. building the intake's code filter), as an operator would.
 */
export async function createCampaignByAdmin(sys: RunningSystem, body: Record<string, unknown>): Promise<SeededCampaign> {
  const res = await fetch(`${sys.adminUrl}/admin/v1/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sys.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`create campaign: HTTP ${res.status} ${text}`);
  const created = JSON.parse(text) as { id: string; codeSpec: CodeSpec };
  return { id: created.id, codeSpec: created.codeSpec };
}

/** The campaign's codes (and their tiers) as stored; `db` has the system's schema on its search_path. */
export async function storedCodes(db: Client, campaignId: string): Promise<Array<{ code: string; tier: string }>> {
  const { rows } = await db.query<{ code: string; tier: string }>('SELECT code, tier FROM codes WHERE campaign_id = $1 ORDER BY code', [campaignId]);
  return rows;
}
