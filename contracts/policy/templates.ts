import type { MessageOffer } from '../negotiation/messages.ts';

/**
 * The offer a hospital attaches to a research cohort: research institutes with a valid data permit for
 * the given purpose, for `months` months, deleting the data afterwards.
 */
export function permitBoundResearchOffer(options: { id: string; purposes: string[]; months: number; target?: string }): MessageOffer {
  const period = `P${options.months}M`;
  return {
    '@type': 'Offer',
    '@id': options.id,
    ...(options.target ? { target: options.target } : {}),
    permission: [
      {
        action: 'use',
        constraint: [
          { leftOperand: 'dataspaceRole', operator: 'eq', rightOperand: 'research-institute' },
          { leftOperand: 'membershipStatus', operator: 'eq', rightOperand: 'active' },
          { leftOperand: 'dataPermit', operator: 'eq', rightOperand: 'true' },
          { leftOperand: 'purpose', operator: 'isAnyOf', rightOperand: options.purposes },
          { leftOperand: 'elapsedTime', operator: 'lteq', rightOperand: period },
        ],
        duty: [{ action: 'delete', constraint: [{ leftOperand: 'elapsedTime', operator: 'eq', rightOperand: period }] }],
      },
    ],
  } as MessageOffer;
}
