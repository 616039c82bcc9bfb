import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Transfer processes in both roles, with what the data plane needs to serve, resume, verify and delete data. */
export const transfer: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('transfers')
      .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('role', 'varchar(10)', (c) => c.notNull())
      .addColumn('consumer_pid', 'varchar(200)')
      .addColumn('provider_pid', 'varchar(200)')
      .addColumn('state', 'varchar(20)', (c) => c.notNull())
      .addColumn('agreement_id', 'varchar(200)', (c) => c.notNull())
      .addColumn('dataset_id', 'text', (c) => c.notNull())
      .addColumn('format', 'varchar(40)', (c) => c.notNull())
      .addColumn('counterparty_did', 'text', (c) => c.notNull())
      .addColumn('counterparty_address', 'text', (c) => c.notNull())
      .addColumn('data_address', 'text')
      .addColumn('token_hash', 'varchar(100)')
      .addColumn('token_expires_at', 'varchar(40)')
      .addColumn('name', 'text')
      .addColumn('size', 'integer')
      .addColumn('digest', 'varchar(100)')
      .addColumn('bytes_done', 'integer', (c) => c.notNull())
      .addColumn('received_path', 'text')
      .addColumn('last_message', 'varchar(80)')
      .addColumn('reasons', 'text')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('completed_at', 'varchar(40)')
      .addColumn('deleted_at', 'varchar(40)')
      .execute();
    await db.schema.createIndex('transfers_state').on('transfers').columns(['role', 'state']).execute();
    await db.schema.createIndex('transfers_agreement').on('transfers').column('agreement_id').execute();
    await db.schema.createIndex('transfers_consumer_pid').on('transfers').columns(['counterparty_did', 'consumer_pid']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('transfers').execute();
  },
};
