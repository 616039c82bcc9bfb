import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Contract negotiations in both roles, and the agreements they produced. */
export const negotiation: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('negotiations')
      .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
      .addColumn('role', 'varchar(10)', (c) => c.notNull())
      .addColumn('consumer_pid', 'varchar(200)')
      .addColumn('provider_pid', 'varchar(200)')
      .addColumn('state', 'varchar(20)', (c) => c.notNull())
      .addColumn('counterparty_did', 'text', (c) => c.notNull())
      .addColumn('counterparty_address', 'text', (c) => c.notNull())
      .addColumn('dataset_id', 'text', (c) => c.notNull())
      .addColumn('offer', 'text', (c) => c.notNull())
      .addColumn('agreement_id', 'varchar(200)')
      .addColumn('last_message', 'varchar(80)')
      .addColumn('pending', 'varchar(20)')
      .addColumn('reasons', 'text')
      .addColumn('presented', 'text')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('deadline_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('negotiations_consumer_pid').on('negotiations').columns(['counterparty_did', 'consumer_pid']).execute();
    await db.schema.createIndex('negotiations_live').on('negotiations').columns(['state', 'deadline_at']).execute();
    await db.schema
      .createTable('agreements')
      .addColumn('id', 'varchar(200)', (c) => c.primaryKey())
      .addColumn('negotiation_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('role', 'varchar(10)', (c) => c.notNull())
      .addColumn('provider_did', 'text', (c) => c.notNull())
      .addColumn('consumer_did', 'text', (c) => c.notNull())
      .addColumn('dataset_id', 'text', (c) => c.notNull())
      .addColumn('agreement', 'text', (c) => c.notNull())
      .addColumn('credential', 'text', (c) => c.notNull())
      .addColumn('counter_signed', 'integer', (c) => c.notNull())
      .addColumn('transfer_count', 'integer', (c) => c.notNull())
      .addColumn('consumer_credentials', 'text')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('agreements').execute();
    await db.schema.dropTable('negotiations').execute();
  },
};
