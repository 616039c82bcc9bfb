import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { CredentialRequestStatus, CredentialRequestsTable } from './trust-store.ts';

export interface CredentialRequest {
  issuerPid: string;
  holderPid: string;
  holderDid: string;
  requested: string[];
  status: CredentialRequestStatus;
  rejectionReason: string | null;
  createdAt: string;
  updatedAt: string;
}

const toRequest = (row: CredentialRequestsTable): CredentialRequest => ({
  issuerPid: row.issuer_pid,
  holderPid: row.holder_pid,
  holderDid: row.holder_did,
  requested: JSON.parse(row.requested),
  status: row.status,
  rejectionReason: row.rejection_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The DCP credential requests an issuer service received, and where each stands. */
export function credentialRequestStore(db: Kysely<Database>) {
  return {
    async insert(trx: Kysely<Database> | Transaction<Database>, request: Omit<CredentialRequest, 'createdAt' | 'updatedAt'>): Promise<void> {
      const now = new Date().toISOString();
      await trx
        .insertInto('credential_requests')
        .values({
          issuer_pid: request.issuerPid,
          holder_pid: request.holderPid,
          holder_did: request.holderDid,
          requested: JSON.stringify(request.requested),
          status: request.status,
          rejection_reason: request.rejectionReason,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },
    async get(issuerPid: string): Promise<CredentialRequest | undefined> {
      const row = await db.selectFrom('credential_requests').selectAll().where('issuer_pid', '=', issuerPid).executeTakeFirst();
      return row && toRequest(row);
    },
    async setStatus(issuerPid: string, status: CredentialRequestStatus): Promise<void> {
      await db.updateTable('credential_requests').set({ status, updated_at: new Date().toISOString() }).where('issuer_pid', '=', issuerPid).execute();
    },
  };
}
