import type { NegotiationRole, NegotiationState } from './state-machine.ts';
import type { Agreement, MessageOffer } from './messages.ts';
import type { VerifiableCredential } from '../credentials/model.ts';

/**
 * A contract negotiation as this side keeps it, the agreement it produced, and the store the domain needs
 * for them. `Tx` is the storage's transaction (connector/storage implements the store over Kysely).
 */
export interface Negotiation {
  id: string;
  role: NegotiationRole;
  consumerPid: string | null;
  providerPid: string | null;
  state: NegotiationState;
  counterpartyDid: string;
  counterpartyAddress: string;
  datasetId: string;
  offer: MessageOffer;
  agreementId: string | null;
  lastMessage: string | null;
  pending: string | null;
  reasons: string[];
  presented: VerifiableCredential[];
  /** What this side's processor still owes the negotiation ("decide", "agree", "verify", "finalize"). */
  nextAction: string | null;
  createdAt: string;
  updatedAt: string;
  deadlineAt: string;
}

/** An agreement as this side keeps it: the ODRL agreement, its credential, and what enforcement needs. */
export interface StoredAgreement {
  id: string;
  negotiationId: string;
  role: NegotiationRole;
  providerDid: string;
  consumerDid: string;
  datasetId: string;
  agreement: Agreement;
  /** The provider's ContractAgreementCredential (counter-signed once both signed); null with a peer that signs no agreements. */
  credential: VerifiableCredential | null;
  counterSigned: boolean;
  transferCount: number;
  consumerCredentials: VerifiableCredential[];
  createdAt: string;
}

/** A state change; `next` hands the negotiation to this side's processor (an action name) or takes it away (null). */
export interface NegotiationChange {
  state: NegotiationState;
  lastMessage?: string;
  pending?: string | null;
  reasons?: string[];
  providerPid?: string;
  agreementId?: string;
  offer?: MessageOffer;
  presented?: VerifiableCredential[];
  next?: string | null;
  /** The caller's sealed access token to its credential service (null clears it). */
  callerToken?: string | null;
}

export type NewNegotiation = Omit<Negotiation, 'createdAt' | 'updatedAt' | 'reasons' | 'presented' | 'nextAction'> & {
  reasons?: string[];
  next?: string | null;
  callerToken?: string;
};

/** Negotiations and agreements. State changes are compare-and-set on the state, so concurrent writers cannot both win. */
export interface NegotiationStore<Tx> {
  transaction<T>(work: (trx: Tx) => Promise<T>): Promise<T>;
  insert(trx: Tx, n: NewNegotiation): Promise<void>;
  get(id: string, trx?: Tx): Promise<Negotiation | undefined>;
  /** The provider's negotiation a consumer started with `consumerPid` (a repeated initial request finds it). */
  byConsumerPid(counterpartyDid: string, consumerPid: string, trx?: Tx): Promise<Negotiation | undefined>;
  /** Moves a negotiation on if it is still in `from`; false when someone else moved it first. */
  move(trx: Tx, id: string, from: NegotiationState, change: NegotiationChange): Promise<boolean>;
  setProviderPid(id: string, providerPid: string): Promise<void>;
  list(filter?: { role?: NegotiationRole; state?: NegotiationState }): Promise<Negotiation[]>;
  /** Live negotiations past their deadline. */
  overdue(now: string): Promise<Negotiation[]>;
  insertAgreement(trx: Tx, a: Omit<StoredAgreement, 'createdAt' | 'transferCount'>): Promise<void>;
  counterSigned(trx: Tx, id: string, credential: VerifiableCredential): Promise<void>;
  /** Provider: the consumer's counter-signed credential as received, until the processor has verified it. */
  receivedCounterSigned(trx: Tx, id: string, credential: VerifiableCredential): Promise<void>;
  pendingCounterSigned(id: string): Promise<VerifiableCredential | undefined>;
  /** Provider: the caller's sealed access token kept for the decision. */
  callerToken(id: string): Promise<string | null>;
  agreement(id: string, trx?: Tx): Promise<StoredAgreement | undefined>;
  agreements(): Promise<StoredAgreement[]>;
  /** Counts one transfer under an agreement (the data plane's usage counter). */
  countTransfer(id: string, trx?: Tx): Promise<void>;
}
