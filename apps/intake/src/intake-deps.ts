import type { IncomingMessage } from 'node:http';
import type { Campaign } from '@dropgate/core';
import type { ClientSource, GuessBudgetOverride, GuessVerdict, WrongGuess } from '@dropgate/guard';
import type { LoadShedder } from '@dropgate/http';
import type { AttemptGateway } from './attempt-gateway';
import type { CustomerTokenVerifier } from './customer-identity';
import type { IntakeMetrics } from './intake-metrics';

export interface RateGuardLike {
  check(input: { ip: string; customerId?: string | undefined; source?: ClientSource | undefined }): Promise<{ allowed: true } | { allowed: false; reason: string; retryAfterS: number }>;
}

/** The guess budgets (@dropgate/guard's GuessBudget): in-memory block checks, and counting a wrong code. */
export interface GuessBudgetLike {
  blocked(source: ClientSource, customerId?: string): GuessVerdict;
  recordWrongGuess(guess: WrongGuess, override?: GuessBudgetOverride): Promise<GuessVerdict>;
}

export interface CampaignLookup {
  get(id: string): Campaign | undefined;
}

/** The in-memory code filter (@dropgate/code-filter's cache): false only for a code certainly not in the campaign. */
export interface CodeFilterLookup {
  mightContain(campaignId: string, code: string): boolean;
}

export interface IntakeSettings {
  /** Express `trust proxy` value: whether/which X-Forwarded-For hops to believe for the client IP. */
  trustProxy: boolean | number | string | string[];
  bodyLimitBytes: number;
  preferWaitMaxS: number;
  maxQueueDepth: number;
}

export interface IntakeDeps {
  settings: IntakeSettings;
  campaigns: CampaignLookup;
  codeFilter: CodeFilterLookup;
  guesses: GuessBudgetLike;
  gateway: AttemptGateway;
  guard: RateGuardLike;
  /** Checks customer tokens of campaigns with customerAuth "jwt" (in memory, no I/O). */
  customerTokens: CustomerTokenVerifier;
  metrics: IntakeMetrics;
  /** Sheds load (503 overloaded) while the event loop lags or too many requests are in flight; before any body is read. */
  shedder?: Pick<LoadShedder, 'admit' | 'middleware' | 'leave'> | undefined;
  newAttemptId: () => string;
  onUnexpected: (err: unknown, req: IncomingMessage) => void;
  now?: () => Date;
}
