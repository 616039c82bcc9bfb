import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const connectorMeta: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('connector_meta')
      .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('connector_meta').execute();
  },
};
