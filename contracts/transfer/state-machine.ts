/**
 * The DSP 2025-1 transfer process state machine (specs/dsp-2025-1/figures/transfer-process-state-machine.png)
 * as one table: which side sends each message, from which states, to which state.
 */
export const TRANSFER_STATES = ['REQUESTED', 'STARTED', 'SUSPENDED', 'COMPLETED', 'TERMINATED'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];
export type TransferRole = 'provider' | 'consumer';
export type TransferMessage = 'TransferRequestMessage' | 'TransferStartMessage' | 'TransferSuspensionMessage' | 'TransferCompletionMessage' | 'TransferTerminationMessage';

interface Transition {
  sender: TransferRole;
  from: readonly TransferState[];
  to: TransferState;
}

export const TRANSFER_TRANSITIONS: Record<TransferMessage, Transition[]> = {
  TransferRequestMessage: [{ sender: 'consumer', from: [], to: 'REQUESTED' }],
  TransferStartMessage: [
    { sender: 'provider', from: ['REQUESTED', 'SUSPENDED'], to: 'STARTED' },
    { sender: 'consumer', from: ['SUSPENDED'], to: 'STARTED' },
  ],
  TransferSuspensionMessage: [
    { sender: 'provider', from: ['STARTED'], to: 'SUSPENDED' },
    { sender: 'consumer', from: ['STARTED'], to: 'SUSPENDED' },
  ],
  TransferCompletionMessage: [
    { sender: 'provider', from: ['STARTED'], to: 'COMPLETED' },
    { sender: 'consumer', from: ['STARTED'], to: 'COMPLETED' },
  ],
  TransferTerminationMessage: [
    { sender: 'provider', from: ['REQUESTED', 'STARTED', 'SUSPENDED'], to: 'TERMINATED' },
    { sender: 'consumer', from: ['REQUESTED', 'STARTED', 'SUSPENDED'], to: 'TERMINATED' },
  ],
};

export type TransferTransition = { ok: true; to: TransferState; repeated: boolean } | { ok: false; reason: string };

/** Where `sender`'s `message` takes a process in `current`; the same message again, in its target state, is a repeat. */
export function transferTransition(message: TransferMessage, sender: TransferRole, current: TransferState | undefined, lastMessage?: string): TransferTransition {
  const rules = TRANSFER_TRANSITIONS[message].filter((t) => t.sender === sender);
  if (rules.length === 0) return { ok: false, reason: `a ${sender} does not send ${message}` };
  if (current === undefined) {
    const start = rules.find((t) => t.from.length === 0);
    return start ? { ok: true, to: start.to, repeated: false } : { ok: false, reason: `${message} cannot start a transfer process` };
  }
  const rule = rules.find((t) => t.from.includes(current));
  if (rule) return { ok: true, to: rule.to, repeated: false };
  if (lastMessage === message && rules.some((t) => t.to === current)) return { ok: true, to: current, repeated: true };
  return { ok: false, reason: `${message} is not allowed in state ${current}` };
}

export function isFinalTransfer(state: TransferState): boolean {
  return state === 'COMPLETED' || state === 'TERMINATED';
}
