import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { asArray, issuerId } from '../../contracts/credentials/model.ts';

export interface SeenTokenIdsTable {
  jti: string;
  expires_at: number;
}

export interface WalletCredentialsTable {
  id: string;
  /** JSON array of the credential's types. */
  types: string;
  issuer: string;
  valid_until: string | null;
  /** The credential as JSON: an object (Data Integrity) or a string (a compact JWT credential, kept as issued). */
  credential: string;
  stored_at: string;
  status: WalletCredentialStatus;
  status_checked_at: string | null;
}

/** What the wallet knows of a held credential; only `valid` ones are presented. */
export type WalletCredentialStatus = 'valid' | 'revoked' | 'suspended' | 'expired' | 'superseded';

export interface StatusListsTable {
  id: string;
  purpose: 'revocation' | 'suspension';
  /** The raw bitstring, base64. */
  bits: string;
  length: number;
  next_index: number;
  /** The signed BitstringStatusListCredential as last published; null until first signed. */
  signed_credential: string | null;
  updated_at: string;
}

export interface IssuedCredentialsTable {
  id: string;
  types: string;
  subject_did: string;
  status_list_id: string;
  status_index: number;
  issued_at: string;
  valid_until: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  credential: string;
}

export interface MembersTable {
  did: string;
  name: string;
  role: string;
  dsp_address: string;
  /** JSON of the participant claims the member was admitted with. */
  claims: string;
  status: 'active' | 'suspended';
  admitted_at: string;
  updated_at: string;
}

export interface TrustTables {
  seen_token_ids: SeenTokenIdsTable;
  wallet_credentials: WalletCredentialsTable;
  status_lists: StatusListsTable;
  issued_credentials: IssuedCredentialsTable;
  members: MembersTable;
  credential_requests: CredentialRequestsTable;
  wallet_credential_requests: WalletCredentialRequestsTable;
  wallet_credential_offers: WalletCredentialOffersTable;
}

/**
 * Where a request this connector sent stands: REQUESTED (being sent), RECEIVED (the issuer answered 201),
 * FAILED (the issuer refused the request or could not be reached), then the delivery: ISSUED or REJECTED as the
 * issuer's CredentialMessage says, or REFUSED when this wallet refused what was delivered.
 */
export type WalletRequestStatus = 'REQUESTED' | 'RECEIVED' | 'FAILED' | 'ISSUED' | 'REJECTED' | 'REFUSED';

export interface WalletCredentialRequestsTable {
  holder_pid: string;
  issuer_did: string;
  issuer_pid: string | null;
  /** JSON array of the requested credential object ids. */
  requested: string;
  status: WalletRequestStatus;
  /** Why it failed, was rejected (the issuer's rejectionReason, truncated) or refused. */
  reason: string | null;
  /** JSON array of the ids of the credentials its delivery stored. */
  credential_ids: string | null;
  /** JSON array of this wallet's refusals of the delivered credentials ({id?, code, message}). */
  refusals: string | null;
  /** The offer this request answered, when it was made for one. */
  offer_id: string | null;
  created_at: string;
  updated_at: string;
}

/** What became of an offer: `received` (waiting for the operator), `requested` (holderPid), `ignored` or `failed` (note). */
export type WalletOfferStatus = 'received' | 'requested' | 'ignored' | 'failed';

export interface WalletCredentialOffersTable {
  id: string;
  issuer_did: string;
  /** JSON array of the offered credential objects, as received. */
  credentials: string;
  status: WalletOfferStatus;
  holder_pid: string | null;
  note: string | null;
  received_at: string;
}

export type CredentialRequestStatus = 'RECEIVED' | 'ISSUED' | 'REJECTED';

export interface CredentialRequestsTable {
  issuer_pid: string;
  holder_pid: string;
  holder_did: string;
  /** JSON array of the requested credential object ids. */
  requested: string;
  status: CredentialRequestStatus;
  rejection_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** Token ids already accepted, kept until the token expires: a replay is refused even by another replica. */
export function seenTokenIdStore(db: Kysely<Database>) {
  let lastPurge = 0;
  return {
    /** Records the jti; false if it was already there. */
    async remember(jti: string, expiresAt: number): Promise<boolean> {
      const now = Math.floor(Date.now() / 1000);
      if (now - lastPurge > 60) {
        lastPurge = now;
        await db
          .deleteFrom('seen_token_ids')
          .where('expires_at', '<', now - 60)
          .execute();
      }
      const inserted = await db
        .insertInto('seen_token_ids')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    },
  };
}

export interface StoredCredential {
  id: string;
  types: string[];
  issuer: string;
  validUntil: string | null;
  storedAt: string;
  status: WalletCredentialStatus;
  statusCheckedAt: string | null;
  /** As issued: a Data Integrity credential object, or a compact JWT credential. */
  credential: VerifiableCredential | string;
}

const toStored = (row: WalletCredentialsTable): StoredCredential => ({
  id: row.id,
  types: JSON.parse(row.types),
  issuer: row.issuer,
  validUntil: row.valid_until,
  storedAt: row.stored_at,
  status: row.status,
  statusCheckedAt: row.status_checked_at,
  credential: JSON.parse(row.credential),
});

/** The credentials this connector holds (its wallet). */
export function walletStore(db: Kysely<Database>) {
  return {
    /** Stores (or replaces) a verified credential, valid as of now; `asIssued` keeps a JWT credential's compact form. */
    async put(credential: VerifiableCredential, asIssued?: string): Promise<StoredCredential> {
      const now = new Date().toISOString();
      const row: WalletCredentialsTable = {
        id: String(credential.id),
        types: JSON.stringify(asArray(credential.type)),
        issuer: issuerId(credential),
        valid_until: credential.validUntil ?? (typeof credential.expirationDate === 'string' ? credential.expirationDate : null),
        credential: JSON.stringify(asIssued ?? credential),
        stored_at: now,
        status: 'valid',
        status_checked_at: now,
      };
      await db
        .insertInto('wallet_credentials')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...row }))
        .execute();
      return toStored(row);
    },
    async list(): Promise<StoredCredential[]> {
      const rows = await db.selectFrom('wallet_credentials').selectAll().orderBy('stored_at').orderBy('id').execute();
      return rows.map(toStored);
    },
    async get(id: string): Promise<StoredCredential | undefined> {
      const row = await db.selectFrom('wallet_credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toStored(row);
    },
    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('wallet_credentials').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Records what a check found (revoked, suspended, expired, superseded); such a credential is no longer presented. */
    async mark(ids: string[], status: WalletCredentialStatus): Promise<void> {
      if (ids.length === 0) return;
      await db.updateTable('wallet_credentials').set({ status, status_checked_at: new Date().toISOString() }).where('id', 'in', ids).execute();
    },
    /** Valid credentials having at least one of `types` (all valid ones when types is empty). */
    async ofTypes(types: string[]): Promise<StoredCredential[]> {
      const all = await this.list();
      return all.filter((c) => c.status === 'valid' && (types.length === 0 || c.types.some((t) => types.includes(t))));
    },
  };
}

export type WalletStore = ReturnType<typeof walletStore>;
