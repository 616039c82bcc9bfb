import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { WalletCredentialOffersTable, WalletCredentialRequestsTable, WalletOfferStatus, WalletRequestStatus } from './trust-store.ts';

export interface WalletRefusal {
  id?: string;
  code: string;
  message: string;
}

export interface WalletCredentialRequest {
  holderPid: string;
  issuerDid: string;
  issuerPid: string | null;
  requested: string[];
  status: WalletRequestStatus;
  reason: string | null;
  credentialIds: string[];
  refusals: WalletRefusal[];
  offerId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WalletCredentialOffer {
  id: string;
  issuerDid: string;
  credentials: Record<string, unknown>[];
  status: WalletOfferStatus;
  holderPid: string | null;
  note: string | null;
  receivedAt: string;
}

/** Statuses after which nothing more happens to a request. */
export const FINAL_REQUEST_STATUSES: readonly WalletRequestStatus[] = ['FAILED', 'ISSUED', 'REJECTED', 'REFUSED'];
/** How many offers are kept: any DID may send one, so the oldest are dropped beyond this. */
const KEPT_OFFERS = 500;

const toRequest = (row: WalletCredentialRequestsTable): WalletCredentialRequest => ({
  holderPid: row.holder_pid,
  issuerDid: row.issuer_did,
  issuerPid: row.issuer_pid,
  requested: JSON.parse(row.requested),
  status: row.status,
  reason: row.reason,
  credentialIds: row.credential_ids ? JSON.parse(row.credential_ids) : [],
  refusals: row.refusals ? JSON.parse(row.refusals) : [],
  offerId: row.offer_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toOffer = (row: WalletCredentialOffersTable): WalletCredentialOffer => ({
  id: row.id,
  issuerDid: row.issuer_did,
  credentials: JSON.parse(row.credentials),
  status: row.status,
  holderPid: row.holder_pid,
  note: row.note,
  receivedAt: row.received_at,
});

/** The holder's DCP issuance records: the credential requests it sent and the offers it received. */
export function walletIssuanceStore(db: Kysely<Database>) {
  const now = () => new Date().toISOString();
  return {
    async insertRequest(request: { holderPid: string; issuerDid: string; requested: string[]; offerId?: string }): Promise<void> {
      const at = now();
      await db
        .insertInto('wallet_credential_requests')
        .values({
          holder_pid: request.holderPid,
          issuer_did: request.issuerDid,
          issuer_pid: null,
          requested: JSON.stringify(request.requested),
          status: 'REQUESTED',
          reason: null,
          credential_ids: null,
          refusals: null,
          offer_id: request.offerId ?? null,
          created_at: at,
          updated_at: at,
        })
        .execute();
    },
    async request(holderPid: string): Promise<WalletCredentialRequest | undefined> {
      const row = await db.selectFrom('wallet_credential_requests').selectAll().where('holder_pid', '=', holderPid).executeTakeFirst();
      return row && toRequest(row);
    },
    async requests(limit = 100): Promise<WalletCredentialRequest[]> {
      const rows = await db.selectFrom('wallet_credential_requests').selectAll().orderBy('created_at', 'desc').orderBy('holder_pid').limit(limit).execute();
      return rows.map(toRequest);
    },
    /** The issuer's answer to the request itself: RECEIVED (unless its delivery came first) or FAILED. */
    async answered(holderPid: string, outcome: { status: 'RECEIVED'; issuerPid?: string } | { status: 'FAILED'; reason: string }): Promise<void> {
      await db
        .updateTable('wallet_credential_requests')
        .set({
          status: outcome.status,
          ...(outcome.status === 'FAILED' ? { reason: outcome.reason } : {}),
          ...(outcome.status === 'RECEIVED' && outcome.issuerPid ? { issuer_pid: outcome.issuerPid } : {}),
          updated_at: now(),
        })
        .where('holder_pid', '=', holderPid)
        .where('status', '=', 'REQUESTED')
        .execute();
    },
    /** What the request's CredentialMessage brought. */
    async delivered(
      holderPid: string,
      delivery: { issuerPid: string; status: 'ISSUED' | 'REJECTED' | 'REFUSED'; reason?: string; credentialIds?: string[]; refusals?: WalletRefusal[] },
    ): Promise<void> {
      await db
        .updateTable('wallet_credential_requests')
        .set({
          issuer_pid: delivery.issuerPid,
          status: delivery.status,
          reason: delivery.reason ?? null,
          credential_ids: JSON.stringify(delivery.credentialIds ?? []),
          refusals: JSON.stringify(delivery.refusals ?? []),
          updated_at: now(),
        })
        .where('holder_pid', '=', holderPid)
        .execute();
    },
    async insertOffer(offer: { id: string; issuerDid: string; credentials: Record<string, unknown>[]; status: WalletOfferStatus; note?: string }): Promise<void> {
      await db
        .insertInto('wallet_credential_offers')
        .values({
          id: offer.id,
          issuer_did: offer.issuerDid,
          credentials: JSON.stringify(offer.credentials),
          status: offer.status,
          holder_pid: null,
          note: offer.note ?? null,
          received_at: now(),
        })
        .execute();
      const kept = db.selectFrom('wallet_credential_offers').select('id').orderBy('received_at', 'desc').orderBy('id', 'desc').limit(KEPT_OFFERS);
      // Through a derived table, so the subquery's LIMIT is accepted by every database.
      await db
        .deleteFrom('wallet_credential_offers')
        .where('id', 'not in', db.selectFrom(kept.as('kept')).select('kept.id'))
        .execute();
    },
    async setOffer(id: string, update: { status: WalletOfferStatus; holderPid?: string; note?: string }): Promise<void> {
      await db
        .updateTable('wallet_credential_offers')
        .set({ status: update.status, holder_pid: update.holderPid ?? null, note: update.note ?? null })
        .where('id', '=', id)
        .execute();
    },
    async offers(limit = 100): Promise<WalletCredentialOffer[]> {
      const rows = await db.selectFrom('wallet_credential_offers').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toOffer);
    },
  };
}

export type WalletIssuanceStore = ReturnType<typeof walletIssuanceStore>;
