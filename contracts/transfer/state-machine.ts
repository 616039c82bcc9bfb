import { createTransitionEngine, type TransitionRow } from '../process/transition-engine.ts';

/**
 * The DSP 2025-1 transfer process state machine (specs/dsp-2025-1/figures/transfer-process-state-machine.png)
 * as one table: which side sends each message, from which states, to which state. Operator actions (suspend,
 * resume, complete, terminate), the data plane's reports and timers are the messages they send.
 */
export const TRANSFER_STATES = ['REQUESTED', 'STARTED', 'SUSPENDED', 'COMPLETED', 'TERMINATED'] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];
export type TransferRole = 'provider' | 'consumer';
export type TransferMessage = 'TransferRequestMessage' | 'TransferStartMessage' | 'TransferSuspensionMessage' | 'TransferCompletionMessage' | 'TransferTerminationMessage';

const LIVE: readonly TransferState[] = ['REQUESTED', 'STARTED', 'SUSPENDED'];

type Row = TransitionRow<TransferState, TransferMessage, TransferRole>;

export const TRANSFER_TRANSITIONS: readonly Row[] = [
  { message: 'TransferRequestMessage', sender: 'consumer', from: [], to: 'REQUESTED', repeatable: true },
  { message: 'TransferStartMessage', sender: 'provider', from: ['REQUESTED', 'SUSPENDED'], to: 'STARTED', repeatable: true },
  { message: 'TransferStartMessage', sender: 'consumer', from: ['SUSPENDED'], to: 'STARTED', repeatable: true },
  { message: 'TransferSuspensionMessage', sender: 'provider', from: ['STARTED'], to: 'SUSPENDED', repeatable: true },
  { message: 'TransferSuspensionMessage', sender: 'consumer', from: ['STARTED'], to: 'SUSPENDED', repeatable: true },
  { message: 'TransferCompletionMessage', sender: 'provider', from: ['STARTED'], to: 'COMPLETED', repeatable: true },
  { message: 'TransferCompletionMessage', sender: 'consumer', from: ['STARTED'], to: 'COMPLETED', repeatable: true },
  { message: 'TransferTerminationMessage', sender: 'provider', from: LIVE, to: 'TERMINATED', repeatable: true },
  { message: 'TransferTerminationMessage', sender: 'consumer', from: LIVE, to: 'TERMINATED', repeatable: true },
];

const LATER: Record<TransferState, readonly TransferState[]> = {
  REQUESTED: ['STARTED', 'SUSPENDED', 'COMPLETED'],
  STARTED: ['SUSPENDED', 'COMPLETED'],
  SUSPENDED: ['STARTED', 'COMPLETED'],
  COMPLETED: [],
  TERMINATED: [],
};

export const transferMachine = createTransitionEngine(TRANSFER_TRANSITIONS, LATER);

export function isFinalTransfer(state: TransferState): boolean {
  return state === 'COMPLETED' || state === 'TERMINATED';
}
