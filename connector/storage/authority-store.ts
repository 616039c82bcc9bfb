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
  statusListId: string;
  statusIndex: number;
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

/** Work done inside a store transaction on the record it wrote (the audit entry of that change). */
export type InTransaction = (trx: Transaction<Database>, record: IssuedCredentialRecord) => Promise<unknown>;

/** The governance authority's records: status lists, the credentials it issued, and its member registry. */
export function authorityStore(db: Kysely<Database>, dialect: Dialect) {
  /** Takes the next free revocation index, opening a new list when the current one is full. */
  async function allocateStatusIndex(trx: Transaction<Database>): Promise<{ listId: string; index: number }> {
    let query = trx.selectFrom('status_lists').selectAll().where('purpose', '=', 'revocation').orderBy('id', 'desc');
    if (dialect === 'postgres') query = query.forUpdate();
    let list = await query.executeTakeFirst();
    if (!list || list.next_index >= list.length) {
      const number = list ? Number(list.id.split('-').pop()) + 1 : 1;
      list = {
        id: `revocation-${String(number).padStart(4, '0')}`,
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

  return {
    /**
     * Allocates a status index and stores the credential `build` signs for it, in one transaction: an index
     * is never handed out twice, and a credential never exists without its record. `recorded` runs in that
     * transaction too (the audit entry commits with the record).
     */
    async issue(build: (status: { listId: string; index: number }) => Promise<VerifiableCredential>, recorded?: InTransaction): Promise<IssuedCredentialRecord> {
      return db.transaction().execute(async (trx) => {
        const status = await allocateStatusIndex(trx);
        const credential = await build(status);
        const record = {
          id: String(credential.id),
          types: JSON.stringify(asArray(credential.type)),
          subject_did: String(subjectsOf(credential)[0]?.id ?? ''),
          status_list_id: status.listId,
          status_index: status.index,
          issued_at: new Date().toISOString(),
          valid_until: credential.validUntil ?? null,
          revoked_at: null,
          revocation_reason: null,
          credential: JSON.stringify(credential),
        };
        await trx.insertInto('issued_credentials').values(record).execute();
        await recorded?.(trx, toIssued(record));
        return toIssued(record);
      });
    },

    /**
     * Sets the credential's revocation bit; the list is re-signed on its next request. Undefined if unknown.
     * `recorded` runs in the same transaction, only when this call revoked it.
     */
    async revoke(id: string, reason: string, recorded?: InTransaction): Promise<IssuedCredentialRecord | undefined> {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('issued_credentials').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        if (row.revoked_at) return toIssued(row);
        let listQuery = trx.selectFrom('status_lists').selectAll().where('id', '=', row.status_list_id);
        if (dialect === 'postgres') listQuery = listQuery.forUpdate();
        const list = await listQuery.executeTakeFirstOrThrow();
        const bits = new Uint8Array(Buffer.from(list.bits, 'base64'));
        setBit(bits, row.status_index, true);
        const now = new Date().toISOString();
        await trx
          .updateTable('status_lists')
          .set({ bits: Buffer.from(bits).toString('base64'), signed_credential: null, updated_at: now })
          .where('id', '=', list.id)
          .execute();
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
    statusListId: row.status_list_id,
    statusIndex: row.status_index,
    issuedAt: row.issued_at,
    validUntil: row.valid_until,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    credential: JSON.parse(row.credential),
  };
}

export type AuthorityStore = ReturnType<typeof authorityStore>;
