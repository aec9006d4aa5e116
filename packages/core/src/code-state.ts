/**
 * Code states and the one table of legal transitions. Adapters derive their conditional-update
 * filters ("WHERE state IN (...)") from this table, so the rule lives here and only here.
 */
export const CODE_STATES = ['available', 'locked', 'published', 'redeemed', 'disabled'] as const;
export type CodeState = (typeof CODE_STATES)[number];

export type CodeAction = 'publish' | 'redeem' | 'lock' | 'unlock' | 'disable' | 'rollback';

/** action → the states it may start from → the state it ends in. */
export const CODE_TRANSITIONS: Record<CodeAction, { from: readonly CodeState[]; to: CodeState }> = {
  publish: { from: ['available'], to: 'published' },
  redeem: { from: ['available', 'published'], to: 'redeemed' },
  lock: { from: ['available'], to: 'locked' },
  unlock: { from: ['locked'], to: 'available' },
  /** A redeemed code is not disabled directly: it has an owner, a quota and a target slot, which only rollback settles. */
  disable: { from: ['available', 'locked', 'published'], to: 'disabled' },
  /** Only an explicit rollback takes a redeemed code back (to available, or out of circulation with `to: 'disabled'`). */
  rollback: { from: ['redeemed'], to: 'available' },
};

/** Why a transition is refused, named so callers can map it to an outcome or an API error. */
export type TransitionRejection =
  | 'code_already_used'
  | 'code_locked'
  | 'code_disabled'
  | 'code_published'
  | 'code_not_redeemed'
  | 'code_not_locked'
  | 'code_already_in_state';

export type TransitionResult = { ok: true; to: CodeState } | { ok: false; reason: TransitionRejection };

const REJECTION_BY_STATE: Record<CodeState, TransitionRejection> = {
  available: 'code_already_in_state',
  locked: 'code_locked',
  published: 'code_published',
  redeemed: 'code_already_used',
  disabled: 'code_disabled',
};

export function transition(from: CodeState, action: CodeAction): TransitionResult {
  const rule = CODE_TRANSITIONS[action];
  if (rule.from.includes(from)) return { ok: true, to: rule.to };
  if (action === 'rollback') return { ok: false, reason: 'code_not_redeemed' };
  if (action === 'unlock') return { ok: false, reason: from === 'disabled' ? 'code_disabled' : 'code_not_locked' };
  // A refused redeem is named after the state that blocks it (redeemed → code_already_used), as redeemRefusalOutcome does.
  if (action === 'redeem') return { ok: false, reason: REJECTION_BY_STATE[from] };
  if (from === rule.to) return { ok: false, reason: 'code_already_in_state' };
  return { ok: false, reason: REJECTION_BY_STATE[from] };
}

export function canTransition(from: CodeState, action: CodeAction): boolean {
  return CODE_TRANSITIONS[action].from.includes(from);
}

/** States from which `action` is legal: what a conditional update filters on. */
export function statesAllowing(action: CodeAction): readonly CodeState[] {
  return CODE_TRANSITIONS[action].from;
}

/** The redeem outcome for a code found in `state` that could not be redeemed. */
export function redeemRefusalOutcome(state: CodeState): 'code_already_used' | 'code_locked' | 'code_disabled' | 'code_not_found' {
  switch (state) {
    case 'redeemed':
      return 'code_already_used';
    case 'locked':
      return 'code_locked';
    case 'disabled':
      return 'code_disabled';
    default:
      // available/published but still refused: not redeemable by this customer (e.g. published to someone else,
      // or the campaign requires publication). We do not reveal that the code exists.
      return 'code_not_found';
  }
}
