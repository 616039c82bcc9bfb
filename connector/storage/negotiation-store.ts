import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { nextActionColumns, type WorkColumns } from './work-queue-store.ts';
import type { NegotiationRole, NegotiationState } from '../../contracts/negotiation/state-machine.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import type { Negotiation, NegotiationChange, NegotiationStore as DomainNegotiationStore, NewNegotiation, StoredAgreement } from '../../contracts/negotiation/negotiation.ts';

export type { Negotiation, NegotiationChange, StoredAgreement } from '../../contracts/negotiation/negotiation.ts';

export interface NegotiationsTable extends WorkColumns {
  id: string;
  role: NegotiationRole;
  consumer_pid: string | null;
  provider_pid: string | null;
  state: NegotiationState;
  counterparty_did: string;
  /** Provider side: the consumer's callbackAddress. Consumer side: the provider's DSP address. */
  counterparty_address: string;
  dataset_id: string;
  offer: string;
  agreement_id: string | null;
  last_message: string | null;
  /** What this side still has to do: "approval" (an operator decides). */
  pending: string | null;
  reasons: string | null;
  /** Provider side, while an operator decides: the consumer's verified credentials as presented. */
  presented: string | null;
  caller_token: string | null;
  created_at: string;
  updated_at: string;
  deadline_at: string;
}

export interface AgreementsTable {
  id: string;
  negotiation_id: string;
  role: NegotiationRole;
  provider_did: string;
  consumer_did: string;
  dataset_id: string;
  agreement: string;
  credential: string;
  counter_signed: number;
  transfer_count: number;
  /** Provider side: the consumer's credentials as presented, so their status can be checked at each transfer. */
  consumer_credentials: string | null;
  pending_credential: string | null;
  created_at: string;
}

export interface NegotiationTables {
  negotiations: NegotiationsTable;
  agreements: AgreementsTable;
}

const toNegotiation = (r: NegotiationsTable): Negotiation => ({
  id: r.id,
  role: r.role,
  consumerPid: r.consumer_pid,
  providerPid: r.provider_pid,
  state: r.state,
  counterpartyDid: r.counterparty_did,
  counterpartyAddress: r.counterparty_address,
  datasetId: r.dataset_id,
  offer: JSON.parse(r.offer),
  agreementId: r.agreement_id,
  lastMessage: r.last_message,
  pending: r.pending,
  reasons: r.reasons ? JSON.parse(r.reasons) : [],
  presented: r.presented ? JSON.parse(r.presented) : [],
  nextAction: r.next_action,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deadlineAt: r.deadline_at,
});

const toAgreement = (r: AgreementsTable): StoredAgreement => ({
  id: r.id,
  negotiationId: r.negotiation_id,
  role: r.role,
  providerDid: r.provider_did,
  consumerDid: r.consumer_did,
  datasetId: r.dataset_id,
  agreement: JSON.parse(r.agreement),
  credential: JSON.parse(r.credential),
  counterSigned: r.counter_signed === 1,
  transferCount: Number(r.transfer_count),
  consumerCredentials: r.consumer_credentials ? JSON.parse(r.consumer_credentials) : [],
  createdAt: r.created_at,
});

type Db = Kysely<Database> | Transaction<Database>;

/** Negotiations and agreements. State changes are compare-and-set on the state, so concurrent writers cannot both win. */
export function negotiationStore(db: Kysely<Database>): DomainNegotiationStore<Transaction<Database>> {
  return {
    transaction: <T>(work: (trx: Transaction<Database>) => Promise<T>) => db.transaction().execute(work),

    async insert(trx: Db, n: NewNegotiation): Promise<void> {
      const now = new Date().toISOString();
      await trx
        .insertInto('negotiations')
        .values({
          id: n.id,
          role: n.role,
          consumer_pid: n.consumerPid,
          provider_pid: n.providerPid,
          state: n.state,
          counterparty_did: n.counterpartyDid,
          counterparty_address: n.counterpartyAddress,
          dataset_id: n.datasetId,
          offer: JSON.stringify(n.offer),
          agreement_id: n.agreementId,
          last_message: n.lastMessage,
          pending: n.pending,
          reasons: n.reasons?.length ? JSON.stringify(n.reasons) : null,
          presented: null,
          caller_token: n.callerToken ?? null,
          created_at: now,
          updated_at: now,
          deadline_at: n.deadlineAt,
          ...nextActionColumns(n.next ?? null),
        })
        .execute();
    },

    async get(id: string, trx: Db = db): Promise<Negotiation | undefined> {
      const row = await trx.selectFrom('negotiations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toNegotiation(row);
    },

    /** The provider's negotiation a consumer started with `consumerPid` (a repeated initial request finds it). */
    async byConsumerPid(counterpartyDid: string, consumerPid: string, trx: Db = db): Promise<Negotiation | undefined> {
      const row = await trx
        .selectFrom('negotiations')
        .selectAll()
        .where('counterparty_did', '=', counterpartyDid)
        .where('consumer_pid', '=', consumerPid)
        .where('role', '=', 'provider')
        .executeTakeFirst();
      return row && toNegotiation(row);
    },

    /** Moves a negotiation on if it is still in `from`; false when someone else moved it first. */
    async move(trx: Db, id: string, from: NegotiationState, change: NegotiationChange): Promise<boolean> {
      const result = await trx
        .updateTable('negotiations')
        .set({
          state: change.state,
          updated_at: new Date().toISOString(),
          ...(change.lastMessage !== undefined ? { last_message: change.lastMessage } : {}),
          ...(change.pending !== undefined ? { pending: change.pending } : {}),
          ...(change.reasons ? { reasons: JSON.stringify(change.reasons) } : {}),
          ...(change.providerPid ? { provider_pid: change.providerPid } : {}),
          ...(change.agreementId ? { agreement_id: change.agreementId } : {}),
          ...(change.offer ? { offer: JSON.stringify(change.offer) } : {}),
          ...(change.presented ? { presented: JSON.stringify(change.presented) } : {}),
          ...(change.next !== undefined ? nextActionColumns(change.next) : {}),
          ...(change.callerToken !== undefined ? { caller_token: change.callerToken } : {}),
        })
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async setProviderPid(id: string, providerPid: string): Promise<void> {
      await db.updateTable('negotiations').set({ provider_pid: providerPid }).where('id', '=', id).where('provider_pid', 'is', null).execute();
    },

    async list(filter: { role?: NegotiationRole; state?: NegotiationState } = {}): Promise<Negotiation[]> {
      let query = db.selectFrom('negotiations').selectAll().orderBy('created_at', 'desc').orderBy('id');
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.state) query = query.where('state', '=', filter.state);
      return (await query.limit(500).execute()).map(toNegotiation);
    },

    /** Live negotiations past their deadline. */
    async overdue(now: string): Promise<Negotiation[]> {
      const rows = await db.selectFrom('negotiations').selectAll().where('state', 'not in', ['FINALIZED', 'TERMINATED']).where('deadline_at', '<', now).limit(100).execute();
      return rows.map(toNegotiation);
    },

    async insertAgreement(trx: Db, a: Omit<StoredAgreement, 'createdAt' | 'transferCount'>): Promise<void> {
      await trx
        .insertInto('agreements')
        .values({
          id: a.id,
          negotiation_id: a.negotiationId,
          role: a.role,
          provider_did: a.providerDid,
          consumer_did: a.consumerDid,
          dataset_id: a.datasetId,
          agreement: JSON.stringify(a.agreement),
          credential: JSON.stringify(a.credential),
          counter_signed: a.counterSigned ? 1 : 0,
          transfer_count: 0,
          consumer_credentials: JSON.stringify(a.consumerCredentials),
          pending_credential: null,
          created_at: new Date().toISOString(),
        })
        .execute();
    },

    async counterSigned(trx: Db, id: string, credential: VerifiableCredential): Promise<void> {
      await trx
        .updateTable('agreements')
        .set({ credential: JSON.stringify(credential), counter_signed: 1, pending_credential: null })
        .where('id', '=', id)
        .execute();
    },

    /** Provider: the consumer's counter-signed credential as received, until the processor has verified it. */
    async receivedCounterSigned(trx: Db, id: string, credential: VerifiableCredential): Promise<void> {
      await trx
        .updateTable('agreements')
        .set({ pending_credential: JSON.stringify(credential) })
        .where('id', '=', id)
        .execute();
    },

    async pendingCounterSigned(id: string): Promise<VerifiableCredential | undefined> {
      const row = await db.selectFrom('agreements').select('pending_credential').where('id', '=', id).executeTakeFirst();
      return row?.pending_credential ? JSON.parse(row.pending_credential) : undefined;
    },

    /** Provider: the caller's sealed access token kept for the decision. */
    async callerToken(id: string): Promise<string | null> {
      const row = await db.selectFrom('negotiations').select('caller_token').where('id', '=', id).executeTakeFirst();
      return row?.caller_token ?? null;
    },

    async agreement(id: string, trx: Db = db): Promise<StoredAgreement | undefined> {
      const row = await trx.selectFrom('agreements').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAgreement(row);
    },

    async agreements(): Promise<StoredAgreement[]> {
      return (await db.selectFrom('agreements').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(500).execute()).map(toAgreement);
    },

    /** Counts one transfer under an agreement (the data plane's usage counter). */
    async countTransfer(id: string, trx: Db = db): Promise<void> {
      await trx.updateTable('agreements').set({ transfer_count: sql<number>`transfer_count + 1` }).where('id', '=', id).execute();
    },
  };
}

export type NegotiationStore = DomainNegotiationStore<Transaction<Database>>;
