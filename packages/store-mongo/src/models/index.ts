import type { Connection, Model } from 'mongoose';
import { attemptModel, type AttemptDoc } from './attempt-model';
import { auditModel, type AuditDoc } from './audit-model';
import { campaignCounterModel, type CampaignCounterDoc } from './campaign-counter-model';
import { campaignModel, type CampaignDoc } from './campaign-model';
import { codeModel, type CodeDoc } from './code-model';
import { publicationModel, type PublicationDoc } from './publication-model';
import { quotaModel, type QuotaDoc } from './quota-model';

/** The models of ONE connection: each store instance compiles its own, never on mongoose's global connection. */
export interface Models {
  campaigns: Model<CampaignDoc>;
  counters: Model<CampaignCounterDoc>;
  codes: Model<CodeDoc>;
  attempts: Model<AttemptDoc>;
  quotas: Model<QuotaDoc>;
  publications: Model<PublicationDoc>;
  audit: Model<AuditDoc>;
}

export function createModels(conn: Connection): Models {
  return {
    campaigns: campaignModel(conn),
    counters: campaignCounterModel(conn),
    codes: codeModel(conn),
    attempts: attemptModel(conn),
    quotas: quotaModel(conn),
    publications: publicationModel(conn),
    audit: auditModel(conn),
  };
}

export * from './attempt-model';
export * from './audit-model';
export * from './campaign-counter-model';
export * from './campaign-model';
export * from './code-model';
export * from './publication-model';
export * from './quota-model';
