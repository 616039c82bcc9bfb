/**
 * The DSP 2025-1 contract negotiation state machine, as one table per role. An incoming message moves a
 * negotiation from one of its `from` states to `to`; `from: []` means the message starts a negotiation.
 * Local actions (what this side sends) follow the same table from the other side's point of view.
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

interface Transition {
  /** Who sends the message. */
  sender: NegotiationRole;
  from: readonly NegotiationState[];
  to: NegotiationState;
}

const LIVE: readonly NegotiationState[] = ['REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED'];

/** The whole machine on one screen (see specs/dsp-2025-1/figures/contract.negotiation.state.machine.png). */
export const TRANSITIONS: Record<NegotiationMessage, Transition[]> = {
  ContractRequestMessage: [
    { sender: 'consumer', from: [], to: 'REQUESTED' },
    { sender: 'consumer', from: ['OFFERED'], to: 'REQUESTED' },
  ],
  ContractOfferMessage: [
    { sender: 'provider', from: [], to: 'OFFERED' },
    { sender: 'provider', from: ['REQUESTED'], to: 'OFFERED' },
  ],
  'ContractNegotiationEventMessage:ACCEPTED': [{ sender: 'consumer', from: ['OFFERED'], to: 'ACCEPTED' }],
  ContractAgreementMessage: [{ sender: 'provider', from: ['REQUESTED', 'ACCEPTED'], to: 'AGREED' }],
  ContractAgreementVerificationMessage: [{ sender: 'consumer', from: ['AGREED'], to: 'VERIFIED' }],
  'ContractNegotiationEventMessage:FINALIZED': [{ sender: 'provider', from: ['VERIFIED'], to: 'FINALIZED' }],
  ContractNegotiationTerminationMessage: [
    { sender: 'consumer', from: LIVE, to: 'TERMINATED' },
    { sender: 'provider', from: LIVE, to: 'TERMINATED' },
  ],
};

export type TransitionResult =
  | { ok: true; to: NegotiationState; repeated: boolean }
  | { ok: false; status: 400; reason: string };

/**
 * The state a negotiation moves to when `sender` sends `message` while it is in `current` (undefined: no
 * negotiation yet). A message that would move it to the state it is already in, having come last, is a
 * repeat: answered the same way, nothing changes.
 */
export function transition(message: NegotiationMessage, sender: NegotiationRole, current: NegotiationState | undefined, lastMessage?: string): TransitionResult {
  const rules = TRANSITIONS[message].filter((t) => t.sender === sender);
  if (rules.length === 0) return { ok: false, status: 400, reason: `a ${sender} does not send ${message}` };
  if (current === undefined) {
    const start = rules.find((t) => t.from.length === 0);
    return start ? { ok: true, to: start.to, repeated: false } : { ok: false, status: 400, reason: `${message} cannot start a negotiation` };
  }
  const rule = rules.find((t) => t.from.includes(current));
  if (rule) return { ok: true, to: rule.to, repeated: false };
  if (lastMessage === message && rules.some((t) => t.to === current)) return { ok: true, to: current, repeated: true };
  return { ok: false, status: 400, reason: `${message} is not allowed in state ${current}` };
}

export function isFinal(state: NegotiationState): boolean {
  return state === 'FINALIZED' || state === 'TERMINATED';
}
