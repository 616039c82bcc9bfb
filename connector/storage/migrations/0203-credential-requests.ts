import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The authority as a DCP Issuer Service: each CredentialRequestMessage it received (issuerPid, the holder's
 * holderPid and DID, the requested credential object ids) and its status (RECEIVED, ISSUED, REJECTED), so
 * the holder can ask for it and a restart loses nothing (the delivery itself is an outbox message).
 */
export const credentialRequests: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('credential_requests')
      .addColumn('issuer_pid', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('holder_pid', 'varchar(200)', (c) => c.notNull())
      .addColumn('holder_did', 'text', (c) => c.notNull())
      .addColumn('requested', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('rejection_reason', 'text')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('credential_requests').execute();
  },
};
