import { evaluatePolicy, policyDuties, policyProviderObligations, type Duty, type PolicyDecision, type PolicyRequest, type ProviderObligation } from './evaluate.ts';
import { OPERANDS } from './constraints.ts';
import { hdc, odrl, odrlProperty, termIri } from './terms.ts';
import { shortTerm } from './vocabulary.ts';

const PARTICIPANT_OPERANDS = [odrl('spatial'), ...['jurisdictionCountry', 'euEeaStatus', 'dataspaceRole', 'membershipStatus', 'organizationType', 'dataProtectionRole'].map(hdc)];
const PERMIT_OPERANDS = [odrl('purpose'), hdc('dataPermit')];

/** The credential types a policy's constraints read, so a verifier asks the holder for those and no more. */
export function requiredCredentialTypes(policy: Record<string, unknown>): string[] {
  const types = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const operand = termIri(odrlProperty(n, 'leftOperand'));
    if (operand && PARTICIPANT_OPERANDS.includes(operand)) types.add('ParticipantCredential');
    if (operand && PERMIT_OPERANDS.includes(operand)) types.add('DataPermitCredential');
    if (operand === hdc('credentialType')) for (const t of [odrlProperty(n, 'rightOperand')].flat()) if (typeof t === 'string') types.add(shortTerm(t));
    Object.values(n).forEach(visit);
  };
  visit([odrlProperty(policy, 'permission'), odrlProperty(policy, 'prohibition')]);
  return [...types];
}

export { evaluatePolicy, OPERANDS, policyDuties, policyProviderObligations };
export type { Duty, PolicyDecision, PolicyRequest, ProviderObligation };
