import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { GENESIS_HASH } from '../../../contracts/audit/chain.ts';

/**
 * The audit trail (docs/audit.md): its hash-chained entries, the ids each entry names (for filtering), the
 * signed checkpoints, and a single-row head that every append reads and moves in its own transaction, so
 * writers sharing a database extend one chain.
 */
export const audit: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('audit_entries')
      .addColumn('sequence', 'integer', (c) => c.primaryKey())
      .addColumn('recorded_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('actor', 'varchar(300)', (c) => c.notNull())
      .addColumn('category', 'varchar(40)', (c) => c.notNull())
      .addColumn('type', 'varchar(80)', (c) => c.notNull())
      .addColumn('subjects', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('previous_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_entries_type').on('audit_entries').columns(['type', 'sequence']).execute();
    await db.schema
      .createTable('audit_subjects')
      .addColumn('subject_id', 'varchar(500)', (c) => c.notNull())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_subjects_pk', ['subject_id', 'sequence'])
      .execute();
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('key_id', 'varchar(300)', (c) => c.notNull())
      .addColumn('head_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('did', 'varchar(300)', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_checkpoints_pk', ['sequence', 'key_id'])
      .execute();
    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db.insertInto('audit_head').values({ id: 1, sequence: 0, hash: GENESIS_HASH }).execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['audit_head', 'audit_checkpoints', 'audit_subjects', 'audit_entries']) await db.schema.dropTable(table).execute();
  },
};
