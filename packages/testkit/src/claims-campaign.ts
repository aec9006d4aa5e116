import { requestJson } from './http-json';
import type { RunningSystem } from './system';
import { waitFor } from './wait-for';

/**
 * An active campaign with claims on (one tier, codes of length 10, one per customer), created through the admin API
 * of a started system; returns once the intake answers that it is open, so the first claim is not refused as unknown.
 */
export async function openClaimsCampaign(sys: Pick<RunningSystem, 'adminUrl' | 'adminToken' | 'intakeUrl'>, name: string, quantity: number): Promise<string> {
  const created = await requestJson<{ id: string }>(`${sys.adminUrl}/admin/v1/campaigns`, {
    headers: { authorization: `Bearer ${sys.adminToken}` },
    body: { name, tiers: [{ name: 'standard', reward: 'x', quantity }], perCustomerLimit: 1, code: { length: 10 }, status: 'active', settings: { claims: true } },
  });
  if (created.status !== 201) throw new Error(`creating campaign ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const campaignId = created.body.id;
  await waitFor('intake to see the campaign open', async () =>
    (await requestJson<{ open?: boolean }>(`${sys.intakeUrl}/v1/campaigns/${campaignId}`)).body.open === true ? true : undefined,
  );
  return campaignId;
}
