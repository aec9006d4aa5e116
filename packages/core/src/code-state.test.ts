import {
  canTransition,
  CODE_STATES,
  CODE_TRANSITIONS,
  redeemRefusalOutcome,
  statesAllowing,
  transition,
  type CodeAction,
  type CodeState,
  type TransitionResult,
} from './code-state';
import { isOutcome, isSuccessOutcome } from './outcomes';

const ACTIONS: CodeAction[] = ['publish', 'redeem', 'lock', 'unlock', 'disable', 'rollback'];

/**
 * The whole state machine written out by hand, independent of CODE_TRANSITIONS: every (state, action) pair
 * with the result it must give. A legal move names its target state, an illegal one names its reason.
 */
const ok = (to: CodeState): TransitionResult => ({ ok: true, to });
const no = (reason: Extract<TransitionResult, { ok: false }>['reason']): TransitionResult => ({ ok: false, reason });

const TABLE: Record<CodeState, Record<CodeAction, TransitionResult>> = {
  available: {
    publish: ok('published'),
    redeem: ok('redeemed'),
    lock: ok('locked'),
    unlock: no('code_not_locked'),
    disable: ok('disabled'),
    rollback: no('code_not_redeemed'),
  },
  locked: {
    publish: no('code_locked'),
    redeem: no('code_locked'),
    lock: no('code_already_in_state'),
    unlock: ok('available'),
    disable: ok('disabled'),
    rollback: no('code_not_redeemed'),
  },
  published: {
    publish: no('code_already_in_state'),
    redeem: ok('redeemed'),
    lock: no('code_published'),
    unlock: no('code_not_locked'),
    disable: ok('disabled'),
    rollback: no('code_not_redeemed'),
  },
  redeemed: {
    publish: no('code_already_used'),
    redeem: no('code_already_used'),
    lock: no('code_already_used'),
    unlock: no('code_not_locked'),
    disable: no('code_already_used'),
    rollback: ok('available'),
  },
  disabled: {
    publish: no('code_disabled'),
    redeem: no('code_disabled'),
    lock: no('code_disabled'),
    unlock: no('code_disabled'),
    disable: no('code_already_in_state'),
    rollback: no('code_not_redeemed'),
  },
};

const PAIRS: Array<[CodeState, CodeAction, TransitionResult]> = CODE_STATES.flatMap((s) =>
  ACTIONS.map((a): [CodeState, CodeAction, TransitionResult] => [s, a, TABLE[s][a]]),
);

describe('code states', () => {
  it('are exactly the five documented states', () => {
    expect([...CODE_STATES]).toEqual(['available', 'locked', 'published', 'redeemed', 'disabled']);
  });

  it('have a rule for exactly the six actions', () => {
    expect(Object.keys(CODE_TRANSITIONS).sort()).toEqual([...ACTIONS].sort());
  });

  it('the table under test covers all 30 pairs', () => {
    expect(PAIRS).toHaveLength(CODE_STATES.length * ACTIONS.length);
    expect(PAIRS).toHaveLength(30);
  });
});

describe('transition(): every (state, action) pair', () => {
  it.each(PAIRS)('%s --%s--> %j', (from, action, expected) => {
    expect(transition(from, action)).toEqual(expected);
  });

  it.each(PAIRS)('canTransition(%s, %s) agrees with transition()', (from, action, expected) => {
    expect(canTransition(from, action)).toBe(expected.ok);
  });

  it.each(PAIRS)('statesAllowing() lists %s for %s exactly when legal', (from, action, expected) => {
    expect(statesAllowing(action).includes(from)).toBe(expected.ok);
  });

  it('lands every legal move in the rule target and never in the start state', () => {
    for (const [from, action, expected] of PAIRS) {
      const result = transition(from, action);
      if (!result.ok) continue;
      expect(expected.ok).toBe(true);
      expect(result.to).toBe(CODE_TRANSITIONS[action].to);
      expect(result.to).not.toBe(from);
    }
  });

  it('counts 9 legal moves in total', () => {
    expect(PAIRS.filter(([s, a]) => transition(s, a).ok)).toHaveLength(9);
  });
});

describe('statesAllowing()', () => {
  it.each<[CodeAction, CodeState[]]>([
    ['publish', ['available']],
    ['redeem', ['available', 'published']],
    ['lock', ['available']],
    ['unlock', ['locked']],
    ['disable', ['available', 'locked', 'published']],
    ['rollback', ['redeemed']],
  ])('%s is allowed from %j', (action, states) => {
    expect([...statesAllowing(action)].sort()).toEqual([...states].sort());
  });
});

describe('state machine invariants', () => {
  it('takes a redeemed code back to available only via rollback', () => {
    const back = ACTIONS.filter((a) => {
      const r = transition('redeemed', a);
      return r.ok && r.to === 'available';
    });
    expect(back).toEqual(['rollback']);
  });

  it('leaves redeemed only through rollback', () => {
    expect(ACTIONS.filter((a) => transition('redeemed', a).ok)).toEqual(['rollback']);
  });

  it('reaches redeemed only through redeem, from available or published', () => {
    const into = PAIRS.filter(([s, a]) => {
      const r = transition(s, a);
      return r.ok && r.to === 'redeemed';
    }).map(([s, a]) => `${s}:${a}`);
    expect(into.sort()).toEqual(['available:redeem', 'published:redeem']);
  });

  it.each(CODE_STATES.filter((s) => s !== 'disabled' && s !== 'redeemed'))('disables a %s code', (from) => {
    expect(transition(from, 'disable')).toEqual({ ok: true, to: 'disabled' });
  });

  it('makes disabled terminal: no action leaves it', () => {
    for (const action of ACTIONS) expect(transition('disabled', action).ok).toBe(false);
  });

  it('refuses to redeem a locked or disabled code, naming the blocking state', () => {
    expect(transition('locked', 'redeem')).toEqual({ ok: false, reason: 'code_locked' });
    expect(transition('disabled', 'redeem')).toEqual({ ok: false, reason: 'code_disabled' });
  });

  it('names every refused redeem like the redeem outcome for that state', () => {
    for (const state of CODE_STATES) {
      const r = transition(state, 'redeem');
      if (!r.ok) expect(r.reason).toBe(redeemRefusalOutcome(state));
    }
  });
});

describe('redeemRefusalOutcome()', () => {
  it.each<[CodeState, string]>([
    ['redeemed', 'code_already_used'],
    ['locked', 'code_locked'],
    ['disabled', 'code_disabled'],
    // a refused available/published code is not revealed
    ['available', 'code_not_found'],
    ['published', 'code_not_found'],
  ])('%s → %s', (state, outcome) => {
    expect(redeemRefusalOutcome(state)).toBe(outcome);
  });

  it('only ever answers failure outcomes of the vocabulary', () => {
    for (const state of CODE_STATES) {
      const outcome = redeemRefusalOutcome(state);
      expect(isOutcome(outcome)).toBe(true);
      expect(isSuccessOutcome(outcome)).toBe(false);
    }
  });
});
