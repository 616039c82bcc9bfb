import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Durable outgoing messages: written in the same transaction as the state change they announce. */
export const outbox: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('outbox')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(64)', (c) => c.notNull())
      .addColumn('process_id', 'varchar(200)', (c) => c.notNull())
      .addColumn('message_type', 'varchar(100)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('audience_did', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('deadline_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('lease_owner', 'varchar(100)')
      .addColumn('lease_until', 'varchar(40)')
      .addColumn('last_error', 'text')
      .addColumn('response_status', 'integer')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('finished_at', 'varchar(40)')
      .execute();
    await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();
    await db.schema.createIndex('outbox_process').on('outbox').columns(['process_id', 'state']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('outbox').execute();
  },
};
