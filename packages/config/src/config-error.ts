/** One bad or missing variable. Values are never echoed: they may be secrets (tokens, DSNs, passwords in URLs). */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Thrown at start-up when the environment does not fit the process's schema; names every offending variable. */
export class ConfigError extends Error {
  /** A restart would fail the same way: the process exits EXIT_NOT_RESTARTABLE and is not restarted (supervision). */
  readonly notRestartable = true;
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}
