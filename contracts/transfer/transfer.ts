import type { TransferRole, TransferState } from './state-machine.ts';
import type { DataAddress } from './messages.ts';

/** A transfer process as this side keeps it, and the store the domain needs for it (`Tx`: the storage's transaction). */
export interface Transfer {
  id: string;
  role: TransferRole;
  consumerPid: string | null;
  providerPid: string | null;
  state: TransferState;
  agreementId: string;
  datasetId: string;
  format: string;
  counterpartyDid: string;
  counterpartyAddress: string;
  dataAddress: DataAddress | null;
  tokenHash: string | null;
  tokenExpiresAt: string | null;
  name: string | null;
  size: number | null;
  digest: string | null;
  bytesDone: number;
  receivedPath: string | null;
  lastMessage: string | null;
  reasons: string[];
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  deletedAt: string | null;
  /** What this side's processor still owes the transfer ("start", "pull", "push"). */
  nextAction: string | null;
  /** Provider: the instant a released transfer's consent is evaluated at (its start), fixed for its lifetime. */
  releaseDate: string | null;
  /**
   * The release report of a transfer that went through the health release pipeline (health/report.ts): counts
   * and released file digests only, never an id. Provider: stored at start; consumer: as the provider sent it.
   */
  release: Record<string, unknown> | null;
  /**
   * Consumer: true when the bytes matched the provider's Repr-Digest, false when the provider sent none (a
   * standard data plane may not) and `digest` was only computed here; null before data arrived (and on the provider).
   */
  digestVerified: boolean | null;
}

export type TransferChange = Partial<
  Pick<
    Transfer,
    | 'providerPid'
    | 'dataAddress'
    | 'tokenHash'
    | 'tokenExpiresAt'
    | 'name'
    | 'size'
    | 'digest'
    | 'bytesDone'
    | 'receivedPath'
    | 'lastMessage'
    | 'reasons'
    | 'completedAt'
    | 'deletedAt'
    | 'releaseDate'
    | 'release'
    | 'digestVerified'
  >
> & { state?: TransferState; next?: string | null };

export type NewTransfer = Pick<
  Transfer,
  'id' | 'role' | 'consumerPid' | 'providerPid' | 'state' | 'agreementId' | 'datasetId' | 'format' | 'counterpartyDid' | 'counterpartyAddress' | 'dataAddress' | 'lastMessage'
> & { next?: string | null };

/** Transfer processes. State changes are compare-and-set on the state. */
export interface TransferStore<Tx> {
  transaction<T>(work: (trx: Tx) => Promise<T>): Promise<T>;
  insert(trx: Tx, t: NewTransfer): Promise<void>;
  get(id: string, trx?: Tx): Promise<Transfer | undefined>;
  byConsumerPid(counterpartyDid: string, consumerPid: string): Promise<Transfer | undefined>;
  /** Applies `change` if the process is still in `from`; false when another writer moved it first. */
  move(trx: Tx, id: string, from: TransferState, change: TransferChange): Promise<boolean>;
  /** Bookkeeping that does not change the state (progress, received path, deletion). */
  update(id: string, change: Omit<TransferChange, 'state'>): Promise<void>;
  list(filter?: { role?: TransferRole; state?: TransferState; agreementId?: string }): Promise<Transfer[]>;
  /** Transfers whose data plane is live or may resume (what enforcement re-checks). */
  active(role: TransferRole): Promise<Transfer[]>;
  withReceivedData(): Promise<Transfer[]>;
}
