import type { MessageOffer } from '../../contracts/negotiation/messages.ts';
import type { VerifiedCredential } from '../../contracts/credentials/model.ts';

/** What the provider published for one offer: the negotiation checks requests against it. */
export interface PublishedOffer {
  datasetId: string;
  /** The offer as published, with its target. */
  offer: MessageOffer;
  /** An operator must approve each request (management API) instead of the automatic decision. */
  requiresApproval: boolean;
  /** The dataset's HealthDCAT-AP health categories, which data permits may name instead of the dataset. */
  healthCategories: string[];
}

/** Finds published offers (the catalog implements it). */
export interface OfferCatalog {
  findOffer(offerId: string): Promise<PublishedOffer | undefined>;
  /** Whether an operator must approve negotiations for this dataset (false for an unknown one). */
  requiresApproval(datasetId: string): Promise<boolean>;
}

export interface PolicyInput {
  credentials: VerifiedCredential[];
  consumerDid: string;
  providerDid: string;
  datasetId: string;
  healthCategories: string[];
  now: Date;
  transferCount: number;
  agreementStart?: Date;
}

/** The ODRL engine as the negotiation uses it (contracts/policy implements it). */
export interface PolicyEngine {
  /** Credential types the policy's constraints need, so the provider asks only for those. */
  requiredCredentialTypes(offer: MessageOffer): string[];
  evaluate(offer: MessageOffer, input: PolicyInput): { permitted: boolean; reasons: string[] };
}
