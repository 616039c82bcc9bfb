import type { MessageOffer } from '../negotiation/messages.ts';
import { hdc, odrl, ODRL_PROFILE, wireTerm } from './terms.ts';

const constraint = (operand: string, operator: string, rightOperand: unknown) => ({ leftOperand: wireTerm(operand), operator: wireTerm(odrl(operator)), rightOperand });

/**
 * The offer a hospital attaches to a research cohort: research institutes with a valid data permit for
 * the given purpose, for `months` months, deleting the data by the end of that period. Every term is written so that it
 * expands to its ODRL or profile IRI under the DSP context alone (see docs/odrl-profile.md).
 */
export function permitBoundResearchOffer(options: { id: string; purposes: string[]; months: number; target?: string }): MessageOffer {
  const period = `P${options.months}M`;
  return {
    '@type': 'Offer',
    '@id': options.id,
    profile: ODRL_PROFILE,
    ...(options.target ? { target: options.target } : {}),
    permission: [
      {
        action: wireTerm(odrl('use')),
        constraint: [
          constraint(hdc('dataspaceRole'), 'eq', 'research-institute'),
          constraint(hdc('membershipStatus'), 'eq', 'active'),
          constraint(hdc('dataPermit'), 'eq', 'true'),
          constraint(odrl('purpose'), 'isAnyOf', options.purposes),
          constraint(odrl('elapsedTime'), 'lteq', period),
        ],
      },
    ],
    // A policy-level obligation, not a duty of the permission: under the ODRL Formal Semantics a permission's
    // duty is a condition that must be fulfilled before the permission is active (docs/odrl-profile.md).
    obligation: [{ action: wireTerm(odrl('delete')), constraint: [constraint(odrl('elapsedTime'), 'eq', period)] }],
  } as MessageOffer;
}
