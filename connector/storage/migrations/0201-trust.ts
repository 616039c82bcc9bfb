import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Trust: ID tokens already seen (replay protection shared by replicas), the wallet of credentials this
 * connector holds, and the authority's side: status lists, issued credentials and the member registry.
 */
export const trust: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('seen_token_ids')
      .addColumn('jti', 'varchar(200)', (c) => c.primaryKey())
      .addColumn('expires_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('wallet_credentials')
      .addColumn('id', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('types', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('valid_until', 'varchar(40)')
      .addColumn('credential', 'text', (c) => c.notNull())
      .addColumn('stored_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('status_lists')
      .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('purpose', 'varchar(20)', (c) => c.notNull())
      .addColumn('bits', 'text', (c) => c.notNull())
      .addColumn('length', 'integer', (c) => c.notNull())
      .addColumn('next_index', 'integer', (c) => c.notNull())
      .addColumn('signed_credential', 'text')
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('issued_credentials')
      .addColumn('id', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('types', 'text', (c) => c.notNull())
      .addColumn('subject_did', 'text', (c) => c.notNull())
      .addColumn('status_list_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('status_index', 'integer', (c) => c.notNull())
      .addColumn('issued_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('valid_until', 'varchar(40)')
      .addColumn('revoked_at', 'varchar(40)')
      .addColumn('revocation_reason', 'text')
      .addColumn('credential', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('issued_credentials_subject').on('issued_credentials').column('subject_did').execute();
    await db.schema
      .createTable('members')
      .addColumn('did', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'varchar(40)', (c) => c.notNull())
      .addColumn('dsp_address', 'text', (c) => c.notNull())
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('admitted_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['members', 'issued_credentials', 'status_lists', 'wallet_credentials', 'seen_token_ids']) await db.schema.dropTable(table).execute();
  },
};
