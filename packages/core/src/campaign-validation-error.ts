/** A campaign (or one of its settings) breaks a rule; `field` names it, e.g. "endsAt" or "settings.claims". */
export class CampaignValidationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'CampaignValidationError';
  }
}
