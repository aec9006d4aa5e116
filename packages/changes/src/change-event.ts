/**
 * What changed, said once for every publisher and listener. Listeners reload the named campaign (or its codes) from
 * the store: the event carries no state of its own, so a lost or late event can only delay a change, never corrupt one.
 */
export const CHANGE_KINDS = ['campaign', 'codes'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What happened, for logs and for listeners that only care about some changes. */
export const CHANGE_ACTIONS = {
  campaign: ['created', 'updated', 'status'],
  codes: ['generated', 'imported', 'locked', 'released', 'published', 'rolled_back', 'disabled'],
} as const satisfies Record<ChangeKind, readonly string[]>;

export type CampaignChangeAction = (typeof CHANGE_ACTIONS)['campaign'][number];
export type CodesChangeAction = (typeof CHANGE_ACTIONS)['codes'][number];

export type ChangeEvent =
  | { kind: 'campaign'; campaignId: string; action: CampaignChangeAction }
  | { kind: 'codes'; campaignId: string; action: CodesChangeAction };

/** On the wire: the event plus the id its acknowledgements quote. */
export type ChangeMessage = ChangeEvent & { id: string };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses one message off the channel; anything else (another version, garbage) is null and ignored. */
export function parseChangeMessage(text: string): ChangeMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { id, kind, campaignId, action } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !ID.test(id) || typeof campaignId !== 'string' || !ID.test(campaignId)) return null;
  if (kind !== 'campaign' && kind !== 'codes') return null;
  if (!(CHANGE_ACTIONS[kind] as readonly unknown[]).includes(action)) return null;
  return { id, kind, campaignId, action } as ChangeMessage;
}

/** Channel names under the deployment's key prefix (QUEUE_PREFIX), so test runs and deployments never hear each other. */
export function changeChannels(prefix: string): { changes: string; acks: string } {
  return { changes: `${prefix}:changes`, acks: `${prefix}:changes:acks` };
}
