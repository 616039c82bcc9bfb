import { createTransitionEngine, type TransitionRow } from '../process/transition-engine.ts';

/**
 * The DSP 2025-1 contract negotiation state machine (specs/dsp-2025-1/figures/contract.negotiation.state.machine.png)
 * as one table. Every state change of a negotiation, on either side, is a row of it: incoming messages, the
 * provider's decision, operator actions (approve, reject, accept, counter, terminate) and timers are the
 * messages they send.
 */
export const NEGOTIATION_STATES = ['REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED', 'TERMINATED'] as const;
export type NegotiationState = (typeof NEGOTIATION_STATES)[number];
export type NegotiationRole = 'provider' | 'consumer';

/** A protocol message, with the event type spelled out for ContractNegotiationEventMessage. */
export type NegotiationMessage =
  | 'ContractRequestMessage'
  | 'ContractOfferMessage'
  | 'ContractNegotiationEventMessage:ACCEPTED'
  | 'ContractAgreementMessage'
  | 'ContractAgreementVerificationMessage'
  | 'ContractNegotiationEventMessage:FINALIZED'
  | 'ContractNegotiationTerminationMessage';

const LIVE: readonly NegotiationState[] = ['REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED'];

type Row = TransitionRow<NegotiationState, NegotiationMessage, NegotiationRole>;

/** The whole machine on one screen. */
export const NEGOTIATION_TRANSITIONS: readonly Row[] = [
  { message: 'ContractRequestMessage', sender: 'consumer', from: [], to: 'REQUESTED', repeatable: true },
  // A duplicate counter-request is an error (DSP TCK CN:03-04); a sender that lost our answer re-reads our state.
  { message: 'ContractRequestMessage', sender: 'consumer', from: ['OFFERED'], to: 'REQUESTED', repeatable: false },
  { message: 'ContractOfferMessage', sender: 'provider', from: [], to: 'OFFERED', repeatable: true },
  { message: 'ContractOfferMessage', sender: 'provider', from: ['REQUESTED'], to: 'OFFERED', repeatable: true },
  { message: 'ContractNegotiationEventMessage:ACCEPTED', sender: 'consumer', from: ['OFFERED'], to: 'ACCEPTED', repeatable: true },
  { message: 'ContractAgreementMessage', sender: 'provider', from: ['REQUESTED', 'ACCEPTED'], to: 'AGREED', repeatable: true },
  { message: 'ContractAgreementVerificationMessage', sender: 'consumer', from: ['AGREED'], to: 'VERIFIED', repeatable: true },
  { message: 'ContractNegotiationEventMessage:FINALIZED', sender: 'provider', from: ['VERIFIED'], to: 'FINALIZED', repeatable: true },
  { message: 'ContractNegotiationTerminationMessage', sender: 'consumer', from: LIVE, to: 'TERMINATED', repeatable: true },
  { message: 'ContractNegotiationTerminationMessage', sender: 'provider', from: LIVE, to: 'TERMINATED', repeatable: true },
];

/** The states a negotiation can still reach from each state, short of termination. */
const LATER: Record<NegotiationState, readonly NegotiationState[]> = {
  REQUESTED: ['OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED'],
  OFFERED: ['REQUESTED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED'],
  ACCEPTED: ['AGREED', 'VERIFIED', 'FINALIZED'],
  AGREED: ['VERIFIED', 'FINALIZED'],
  VERIFIED: ['FINALIZED'],
  FINALIZED: [],
  TERMINATED: [],
};

export const negotiationMachine = createTransitionEngine(NEGOTIATION_TRANSITIONS, LATER);

export function isFinal(state: NegotiationState): boolean {
  return state === 'FINALIZED' || state === 'TERMINATED';
}
