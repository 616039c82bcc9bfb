import { evaluatePolicy, OPERANDS, type PolicyDecision, type PolicyRequest } from './evaluate.ts';
import { shortTerm } from './vocabulary.ts';

const PARTICIPANT_OPERANDS = ['spatial', 'jurisdictionCountry', 'euEeaStatus', 'participantRole', 'role', 'dataspaceRole', 'membershipStatus', 'organizationType', 'dataProtectionRole'];
const PERMIT_OPERANDS = ['purpose', 'dataPermit', 'permitIssued', 'dacApproval'];

/** The credential types a policy's constraints read, so a verifier asks the holder for those and no more. */
export function requiredCredentialTypes(policy: Record<string, unknown>): string[] {
  const types = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const operand = typeof n.leftOperand === 'string' ? shortTerm(n.leftOperand) : undefined;
    if (operand && PARTICIPANT_OPERANDS.includes(operand)) types.add('ParticipantCredential');
    if (operand && PERMIT_OPERANDS.includes(operand)) types.add('DataPermitCredential');
    if (operand === 'credentialType') for (const t of [n.rightOperand].flat()) if (typeof t === 'string') types.add(shortTerm(t));
    Object.values(n).forEach(visit);
  };
  visit([policy.permission, policy.prohibition]);
  return [...types];
}

export { evaluatePolicy, OPERANDS };
export type { PolicyDecision, PolicyRequest };
