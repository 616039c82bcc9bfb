import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

const PROCESS_TABLES = ['negotiations', 'transfers'] as const;

/**
 * Control-plane processing: each negotiation and transfer carries the action this side still owes it
 * (`next_action`, due at `due_at`), claimed by one processor at a time with a lease; and the digests of
 * the protocol messages applied to it, so a message that arrives twice is recognised by its content.
 */
export const processing: Migration = {
  async up(db: Kysely<any>) {
    for (const table of PROCESS_TABLES) {
      // One column per statement: SQLite's ALTER TABLE adds a single column.
      await db.schema.alterTable(table).addColumn('next_action', 'varchar(30)').execute();
      await db.schema.alterTable(table).addColumn('due_at', 'varchar(40)').execute();
      await db.schema.alterTable(table).addColumn('lease_owner', 'varchar(100)').execute();
      await db.schema.alterTable(table).addColumn('lease_until', 'varchar(40)').execute();
      await db.schema
        .alterTable(table)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable(table).addColumn('last_error', 'text').execute();
      await db.schema.createIndex(`${table}_due`).on(table).columns(['next_action', 'due_at']).execute();
    }
    // Provider side, until the request is decided: the caller's access token to its credential service, sealed.
    await db.schema.alterTable('negotiations').addColumn('caller_token', 'text').execute();
    // Provider side, from VERIFIED until the processor has checked it: the consumer's counter-signed credential.
    await db.schema.alterTable('agreements').addColumn('pending_credential', 'text').execute();
    await db.schema
      .createTable('received_messages')
      .addColumn('process_id', 'varchar(100)', (c) => c.notNull())
      .addColumn('digest', 'varchar(100)', (c) => c.notNull())
      .addColumn('message_type', 'varchar(80)', (c) => c.notNull())
      .addColumn('received_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('received_messages_pk', ['process_id', 'digest'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('received_messages').execute();
    await db.schema.alterTable('agreements').dropColumn('pending_credential').execute();
    await db.schema.alterTable('negotiations').dropColumn('caller_token').execute();
    for (const table of PROCESS_TABLES) {
      await db.schema.dropIndex(`${table}_due`).execute();
      for (const column of ['next_action', 'due_at', 'lease_owner', 'lease_until', 'attempts', 'last_error']) await db.schema.alterTable(table).dropColumn(column).execute();
    }
  },
};
