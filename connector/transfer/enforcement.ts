import type { ConnectorContext } from '../context.ts';
import type { StoredAgreement } from '../../contracts/negotiation/negotiation.ts';
import { evaluatePolicy, policyDuties, type Duty } from '../../contracts/policy/evaluate.ts';
import { toVerified } from '../../contracts/credentials/model.ts';

/**
 * Whether an agreement still allows a transfer now: its ODRL terms (validity period, number of transfers,
 * the consumer's data permit still valid) and the consumer's credentials (each re-verified: a revoked or
 * expired credential ends access). `transfersDone` counts the transfers before the one being checked.
 * Returns the reasons against; [] means allowed.
 */
export async function agreementRefusals(
  ctx: Pick<ConnectorContext, 'trust'>,
  agreement: StoredAgreement,
  healthCategories: string[],
  transfersDone: number,
  now = new Date(),
): Promise<string[]> {
  const reasons: string[] = [];
  for (const credential of agreement.consumerCredentials) {
    const check = await ctx.trust.verifier.verifyCredential(credential, { holder: agreement.consumerDid, now });
    if (!check.verified) reasons.push(`the consumer's ${credential.type.at(-1)} is no longer valid: ${check.code}: ${check.message}`);
  }
  return [...reasons, ...agreementPolicyRefusals(agreement, healthCategories, transfersDone, now)];
}

/**
 * The agreement's ODRL terms alone (no credential re-verification, no I/O): what the start of a transfer
 * checks again inside the transaction that counts it, so concurrent starts cannot exceed a transfer count.
 */
export function agreementPolicyRefusals(agreement: StoredAgreement, healthCategories: string[], transfersDone: number, now = new Date()): string[] {
  const decision = evaluatePolicy(agreement.agreement, {
    credentials: agreement.consumerCredentials.map(toVerified),
    consumerDid: agreement.consumerDid,
    datasetId: agreement.datasetId,
    healthCategories,
    now,
    transferCount: transfersDone,
    agreementStart: new Date(agreement.agreement.timestamp),
  });
  return decision.permitted ? [] : decision.reasons;
}

/** The duties the consumer took on with an agreement, with their due dates counted from the agreement. */
export function agreementDuties(agreement: StoredAgreement): Duty[] {
  return policyDuties(agreement.agreement, new Date(agreement.agreement.timestamp));
}
