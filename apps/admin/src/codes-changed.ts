/**
 * HOOK (to wire): what must happen after a campaign's codes changed (generation, import): rebuild the intake's
 * code filter (`rebuildCodeFilter` of packages/code-filter) and publish a codes change (packages/changes) so every
 * intake applies it at once. Neither package is on main yet; until they are, the intake's periodic reload is what
 * picks the new codes up. Called by the admin jobs worker and the import route with the campaign id.
 */
export function onCodesChanged(_campaignId: string): Promise<void> {
  return Promise.resolve();
}
