import { evaluatePolicy, requiredCredentialTypes } from '../../contracts/policy/engine.ts';
import type { PolicyEngine } from './ports.ts';

/** The ODRL engine of contracts/policy behind the negotiation's port. */
export const odrlPolicyEngine: PolicyEngine = {
  requiredCredentialTypes: (offer) => requiredCredentialTypes(offer),
  evaluate: (offer, input) =>
    evaluatePolicy(offer, {
      credentials: input.credentials,
      consumerDid: input.consumerDid,
      datasetId: input.datasetId,
      healthCategories: input.healthCategories,
      now: input.now,
      transferCount: input.transferCount,
      ...(input.agreementStart ? { agreementStart: input.agreementStart } : {}),
    }),
};
