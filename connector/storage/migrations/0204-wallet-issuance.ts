import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The holder's side of DCP issuance: the CredentialRequestMessages this connector sent (its holderPid, the
 * issuer, the requested credential object ids, where the request stands and what its delivery brought), and
 * the CredentialOfferMessages issuers sent it (what was offered, and whether it was requested).
 */
export const walletIssuance: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('wallet_credential_requests')
      .addColumn('holder_pid', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('issuer_did', 'text', (c) => c.notNull())
      .addColumn('issuer_pid', 'varchar(200)')
      .addColumn('requested', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('credential_ids', 'text')
      .addColumn('refusals', 'text')
      .addColumn('offer_id', 'varchar(100)')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('wallet_credential_offers')
      .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('issuer_did', 'text', (c) => c.notNull())
      .addColumn('credentials', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('holder_pid', 'varchar(100)')
      .addColumn('note', 'text')
      .addColumn('received_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('wallet_credential_offers_received').on('wallet_credential_offers').column('received_at').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('wallet_credential_offers').execute();
    await db.schema.dropTable('wallet_credential_requests').execute();
  },
};
