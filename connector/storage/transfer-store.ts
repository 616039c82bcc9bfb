import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { nextActionColumns, type WorkColumns } from './work-queue-store.ts';
import type { TransferRole, TransferState } from '../../contracts/transfer/state-machine.ts';
import type { NewTransfer, Transfer, TransferChange, TransferStore as DomainTransferStore } from '../../contracts/transfer/transfer.ts';

export type { Transfer, TransferChange } from '../../contracts/transfer/transfer.ts';

export interface TransfersTable extends WorkColumns {
  id: string;
  role: TransferRole;
  consumer_pid: string | null;
  provider_pid: string | null;
  state: TransferState;
  agreement_id: string;
  dataset_id: string;
  format: string;
  counterparty_did: string;
  counterparty_address: string;
  /** Consumer: where to pull from (provider's endpoint and token). Provider: where to push to. */
  data_address: string | null;
  /** Provider: SHA-256 of the pull token (the token itself is never stored). */
  token_hash: string | null;
  token_expires_at: string | null;
  name: string | null;
  size: number | null;
  digest: string | null;
  bytes_done: number;
  received_path: string | null;
  last_message: string | null;
  reasons: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  deleted_at: string | null;
  release_date: string | null;
  /** JSON of the release report (counts only). */
  release_report: string | null;
  /** Consumer: 1 when the provider's Repr-Digest matched, 0 when it sent none and the digest was computed here. */
  digest_verified: number | null;
}

export interface TransferTables {
  transfers: TransfersTable;
}

const toTransfer = (r: TransfersTable): Transfer => ({
  id: r.id,
  role: r.role,
  consumerPid: r.consumer_pid,
  providerPid: r.provider_pid,
  state: r.state,
  agreementId: r.agreement_id,
  datasetId: r.dataset_id,
  format: r.format,
  counterpartyDid: r.counterparty_did,
  counterpartyAddress: r.counterparty_address,
  dataAddress: r.data_address ? JSON.parse(r.data_address) : null,
  tokenHash: r.token_hash,
  tokenExpiresAt: r.token_expires_at,
  name: r.name,
  size: r.size === null ? null : Number(r.size),
  digest: r.digest,
  bytesDone: Number(r.bytes_done),
  receivedPath: r.received_path,
  lastMessage: r.last_message,
  reasons: r.reasons ? JSON.parse(r.reasons) : [],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  completedAt: r.completed_at,
  deletedAt: r.deleted_at,
  nextAction: r.next_action,
  releaseDate: r.release_date ?? null,
  release: r.release_report ? JSON.parse(r.release_report) : null,
  digestVerified: r.digest_verified == null ? null : Number(r.digest_verified) === 1,
});

type Db = Kysely<Database> | Transaction<Database>;

function columns(change: TransferChange): Partial<TransfersTable> {
  const c: Partial<TransfersTable> = { updated_at: new Date().toISOString() };
  if (change.state !== undefined) c.state = change.state;
  if (change.providerPid !== undefined) c.provider_pid = change.providerPid;
  if (change.dataAddress !== undefined) c.data_address = change.dataAddress ? JSON.stringify(change.dataAddress) : null;
  if (change.tokenHash !== undefined) c.token_hash = change.tokenHash;
  if (change.tokenExpiresAt !== undefined) c.token_expires_at = change.tokenExpiresAt;
  if (change.name !== undefined) c.name = change.name;
  if (change.size !== undefined) c.size = change.size;
  if (change.digest !== undefined) c.digest = change.digest;
  if (change.bytesDone !== undefined) c.bytes_done = change.bytesDone;
  if (change.receivedPath !== undefined) c.received_path = change.receivedPath;
  if (change.lastMessage !== undefined) c.last_message = change.lastMessage;
  if (change.reasons !== undefined) c.reasons = JSON.stringify(change.reasons);
  if (change.completedAt !== undefined) c.completed_at = change.completedAt;
  if (change.deletedAt !== undefined) c.deleted_at = change.deletedAt;
  if (change.releaseDate !== undefined) c.release_date = change.releaseDate;
  if (change.release !== undefined) c.release_report = change.release ? JSON.stringify(change.release) : null;
  if (change.digestVerified !== undefined) c.digest_verified = change.digestVerified === null ? null : change.digestVerified ? 1 : 0;
  if (change.next !== undefined) Object.assign(c, nextActionColumns(change.next));
  return c;
}

/** Transfer processes. State changes are compare-and-set on the state. */
export function transferStore(db: Kysely<Database>): DomainTransferStore<Transaction<Database>> {
  return {
    transaction: <T>(work: (trx: Transaction<Database>) => Promise<T>) => db.transaction().execute(work),
    async insert(trx: Db, t: NewTransfer): Promise<void> {
      const now = new Date().toISOString();
      await trx
        .insertInto('transfers')
        .values({
          id: t.id,
          role: t.role,
          consumer_pid: t.consumerPid,
          provider_pid: t.providerPid,
          state: t.state,
          agreement_id: t.agreementId,
          dataset_id: t.datasetId,
          format: t.format,
          counterparty_did: t.counterpartyDid,
          counterparty_address: t.counterpartyAddress,
          data_address: t.dataAddress ? JSON.stringify(t.dataAddress) : null,
          token_hash: null,
          token_expires_at: null,
          name: null,
          size: null,
          digest: null,
          bytes_done: 0,
          received_path: null,
          last_message: t.lastMessage,
          reasons: null,
          created_at: now,
          updated_at: now,
          completed_at: null,
          deleted_at: null,
          release_date: null,
          release_report: null,
          digest_verified: null,
          ...nextActionColumns(t.next ?? null),
        })
        .execute();
    },
    async get(id: string, trx: Db = db): Promise<Transfer | undefined> {
      const row = await trx.selectFrom('transfers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toTransfer(row);
    },
    async byConsumerPid(counterpartyDid: string, consumerPid: string): Promise<Transfer | undefined> {
      const row = await db
        .selectFrom('transfers')
        .selectAll()
        .where('role', '=', 'provider')
        .where('counterparty_did', '=', counterpartyDid)
        .where('consumer_pid', '=', consumerPid)
        .executeTakeFirst();
      return row && toTransfer(row);
    },
    /** Applies `change` if the process is still in `from`; false when another writer moved it first. */
    async move(trx: Db, id: string, from: TransferState, change: TransferChange): Promise<boolean> {
      const result = await trx.updateTable('transfers').set(columns(change)).where('id', '=', id).where('state', '=', from).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Bookkeeping that does not change the state (progress, received path, deletion). */
    async update(id: string, change: Omit<TransferChange, 'state'>): Promise<void> {
      await db.updateTable('transfers').set(columns(change)).where('id', '=', id).execute();
    },
    async list(filter: { role?: TransferRole; state?: TransferState; agreementId?: string } = {}): Promise<Transfer[]> {
      let query = db.selectFrom('transfers').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(500);
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.state) query = query.where('state', '=', filter.state);
      if (filter.agreementId) query = query.where('agreement_id', '=', filter.agreementId);
      return (await query.execute()).map(toTransfer);
    },
    /** Transfers whose data plane is live or may resume (what enforcement re-checks). */
    async active(role: TransferRole): Promise<Transfer[]> {
      return (await db.selectFrom('transfers').selectAll().where('role', '=', role).where('state', 'in', ['REQUESTED', 'STARTED', 'SUSPENDED']).limit(1000).execute()).map(
        toTransfer,
      );
    },
    async withReceivedData(): Promise<Transfer[]> {
      return (
        await db.selectFrom('transfers').selectAll().where('role', '=', 'consumer').where('received_path', 'is not', null).where('deleted_at', 'is', null).limit(1000).execute()
      ).map(toTransfer);
    },
  };
}

export type TransferStore = DomainTransferStore<Transaction<Database>>;
