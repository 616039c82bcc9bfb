import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { Dialect } from './database.ts';
import type { MembersTable } from './trust-store.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { asArray, subjectsOf } from '../../contracts/credentials/model.ts';
import { emptyBitstring, MIN_STATUS_LIST_LENGTH, setBit } from '../../contracts/credentials/status-list.ts';

export interface IssuedCredentialRecord {
  id: string;
  types: string[];
  subjectDid: string;
  /** The status list and index of the authority's status entry; null for a credential that carries none (VCDM 1.1). */
  statusListId: string | null;
  statusIndex: number | null;
  issuedAt: string;
  validUntil: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  credential: VerifiableCredential;
}

export interface Member {
  did: string;
  name: string;
  role: string;
  dspAddress: string;
  claims: Record<string, unknown>;
  status: 'active' | 'suspended';
  admittedAt: string;
  updatedAt: string;
}

const toMember = (row: MembersTable): Member => ({
  did: row.did,
  name: row.name,
  role: row.role,
  dspAddress: row.dsp_address,
  claims: JSON.parse(row.claims),
  status: row.status,
  admittedAt: row.admitted_at,
  updatedAt: row.updated_at,
});

/**
 * Each of the authority's issuer DIDs has its own series of status lists (`revocation-0001`, …;
 * `key-revocation-0001`, …): a verifier requires a credential's status list to be issued by the
 * credential's issuer, so a list holds entries of one issuer only.
 */
export type StatusSeries = 'revocation' | 'key-revocation';

/** Where a credential without a status entry of the authority's is stored (the columns are NOT NULL). */
const NO_STATUS = { listId: '', index: -1 };

/** Work done inside a store transaction on the record it wrote (the audit entry of that change). */
export type InTransaction = (trx: Transaction<Database>, record: IssuedCredentialRecord) => Promise<unknown>;

/** The governance authority's records: status lists, the credentials it issued, and its member registry. */
export function authorityStore(db: Kysely<Database>, dialect: Dialect) {
  /** Takes the next free revocation index of a series, opening a new list when the current one is full. */
  async function allocateStatusIndex(trx: Transaction<Database>, series: StatusSeries): Promise<{ listId: string; index: number }> {
    let query = trx.selectFrom('status_lists').selectAll().where('purpose', '=', 'revocation').where('id', 'like', `${series}-%`).orderBy('id', 'desc');
    if (dialect === 'postgres') query = query.forUpdate();
    let list = await query.executeTakeFirst();
    if (!list || list.next_index >= list.length) {
      const number = list ? Number(list.id.split('-').pop()) + 1 : 1;
      list = {
        id: `${series}-${String(number).padStart(4, '0')}`,
        purpose: 'revocation',
        bits: Buffer.from(emptyBitstring()).toString('base64'),
        length: MIN_STATUS_LIST_LENGTH,
        next_index: 0,
        signed_credential: null,
        updated_at: new Date().toISOString(),
      };
      await trx.insertInto('status_lists').values(list).execute();
    }
    await trx
      .updateTable('status_lists')
      .set({ next_index: list.next_index + 1 })
      .where('id', '=', list.id)
      .execute();
    return { listId: list.id, index: list.next_index };
  }

  async function setRevocationBit(trx: Transaction<Database>, listId: string, index: number, now: string): Promise<void> {
    let listQuery = trx.selectFrom('status_lists').selectAll().where('id', '=', listId);
    if (dialect === 'postgres') listQuery = listQuery.forUpdate();
    const list = await listQuery.executeTakeFirstOrThrow();
    const bits = new Uint8Array(Buffer.from(list.bits, 'base64'));
    setBit(bits, index, true);
    await trx
      .updateTable('status_lists')
      .set({ bits: Buffer.from(bits).toString('base64'), signed_credential: null, updated_at: now })
      .where('id', '=', list.id)
      .execute();
  }

  return {
    /**
     * Allocates a status index and stores the credential `build` signs for it, in one transaction: an index
     * is never handed out twice, and a credential never exists without its record. `recorded` runs in that
     * transaction too (the audit entry commits with the record). With `series: null` no index is allocated
     * and `build` is called without one: the credential carries no status entry of the authority's.
     */
    async issue(
      build: (status: { listId: string; index: number } | undefined) => Promise<VerifiableCredential>,
      options: { series: StatusSeries | null; recorded?: InTransaction },
    ): Promise<IssuedCredentialRecord> {
      return db.transaction().execute(async (trx) => {
        const status = options.series ? await allocateStatusIndex(trx, options.series) : undefined;
        const credential = await build(status);
        const { listId, index } = status ?? NO_STATUS;
        const record = {
          id: String(credential.id),
          types: JSON.stringify(asArray(credential.type)),
          subject_did: String(subjectsOf(credential)[0]?.id ?? ''),
          status_list_id: listId,
          status_index: index,
          issued_at: new Date().toISOString(),
          valid_until: credential.validUntil ?? (typeof credential.expirationDate === 'string' ? credential.expirationDate : null),
          revoked_at: null,
          revocation_reason: null,
          credential: JSON.stringify(credential),
        };
        await trx.insertInto('issued_credentials').values(record).execute();
        await options.recorded?.(trx, toIssued(record));
        return toIssued(record);
      });
    },

    /**
     * Sets the credential's revocation bit (if it has one); the list is re-signed on its next request. Undefined
     * if unknown. `recorded` runs in the same transaction, only when this call revoked it.
     */
    async revoke(id: string, reason: string, recorded?: InTransaction): Promise<IssuedCredentialRecord | undefined> {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('issued_credentials').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        if (row.revoked_at) return toIssued(row);
        const now = new Date().toISOString();
        if (row.status_list_id !== NO_STATUS.listId) await setRevocationBit(trx, row.status_list_id, row.status_index, now);
        await trx.updateTable('issued_credentials').set({ revoked_at: now, revocation_reason: reason }).where('id', '=', id).execute();
        const revoked = toIssued({ ...row, revoked_at: now, revocation_reason: reason });
        await recorded?.(trx, revoked);
        return revoked;
      });
    },

    async issued(filter: { subjectDid?: string; type?: string; includeRevoked?: boolean } = {}): Promise<IssuedCredentialRecord[]> {
      let query = db.selectFrom('issued_credentials').selectAll().orderBy('issued_at').orderBy('id');
      if (filter.subjectDid) query = query.where('subject_did', '=', filter.subjectDid);
      if (!filter.includeRevoked) query = query.where('revoked_at', 'is', null);
      const rows = await query.execute();
      return rows.map(toIssued).filter((r) => !filter.type || r.types.includes(filter.type));
    },

    async issuedById(id: string): Promise<IssuedCredentialRecord | undefined> {
      const row = await db.selectFrom('issued_credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toIssued(row);
    },

    async statusList(id: string) {
      return db.selectFrom('status_lists').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async saveSignedStatusList(id: string, updatedAt: string, credential: VerifiableCredential): Promise<void> {
      // Only if nothing was revoked meanwhile: a newer bitstring must not be overwritten by an older signature.
      await db
        .updateTable('status_lists')
        .set({ signed_credential: JSON.stringify(credential) })
        .where('id', '=', id)
        .where('updated_at', '=', updatedAt)
        .execute();
    },

    async putMember(member: Omit<Member, 'admittedAt' | 'updatedAt'>): Promise<Member> {
      const now = new Date().toISOString();
      const row: MembersTable = {
        did: member.did,
        name: member.name,
        role: member.role,
        dsp_address: member.dspAddress,
        claims: JSON.stringify(member.claims),
        status: member.status,
        admitted_at: now,
        updated_at: now,
      };
      const { admitted_at: _admitted, ...update } = row;
      await db
        .insertInto('members')
        .values(row)
        .onConflict((oc) => oc.column('did').doUpdateSet(update))
        .execute();
      return (await this.member(member.did))!;
    },

    async member(did: string): Promise<Member | undefined> {
      const row = await db.selectFrom('members').selectAll().where('did', '=', did).executeTakeFirst();
      return row && toMember(row);
    },

    async members(): Promise<Member[]> {
      const rows = await db.selectFrom('members').selectAll().orderBy('admitted_at').orderBy('did').execute();
      return rows.map(toMember);
    },

    async setMemberStatus(did: string, status: Member['status']): Promise<Member | undefined> {
      await db.updateTable('members').set({ status, updated_at: new Date().toISOString() }).where('did', '=', did).execute();
      return this.member(did);
    },
  };
}

function toIssued(row: Database['issued_credentials']): IssuedCredentialRecord {
  return {
    id: row.id,
    types: JSON.parse(row.types),
    subjectDid: row.subject_did,
    statusListId: row.status_list_id === NO_STATUS.listId ? null : row.status_list_id,
    statusIndex: row.status_list_id === NO_STATUS.listId ? null : row.status_index,
    issuedAt: row.issued_at,
    validUntil: row.valid_until,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    credential: JSON.parse(row.credential),
  };
}

export type AuthorityStore = ReturnType<typeof authorityStore>;
