import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Published datasets (with their serializations precomputed) and the federated catalog of peers' datasets. */
export const catalog: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('datasets')
      .addColumn('id', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('visibility', 'varchar(10)', (c) => c.notNull())
      .addColumn('dataset', 'text', (c) => c.notNull())
      .addColumn('dsp', 'text', (c) => c.notNull())
      .addColumn('turtle', 'text', (c) => c.notNull())
      .addColumn('jsonld', 'text', (c) => c.notNull())
      .addColumn('search_text', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('modified_at', 'varchar(40)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('datasets_visibility').on('datasets').columns(['visibility', 'id']).execute();
    await db.schema
      .createTable('dataset_offers')
      .addColumn('offer_id', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('dataset_id', 'varchar(300)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('dataset_offers_dataset').on('dataset_offers').column('dataset_id').execute();
    await db.schema
      .createTable('federated_datasets')
      .addColumn('provider_did', 'varchar(300)', (c) => c.notNull())
      .addColumn('dataset_id', 'varchar(300)', (c) => c.notNull())
      .addColumn('dsp_address', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('search_text', 'text', (c) => c.notNull())
      .addColumn('facets', 'text', (c) => c.notNull())
      .addColumn('dataset', 'text', (c) => c.notNull())
      .addColumn('crawled_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_datasets_pk', ['provider_did', 'dataset_id'])
      .execute();
    await db.schema
      .createTable('federated_peers')
      .addColumn('did', 'varchar(300)', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('dsp_address', 'text', (c) => c.notNull())
      .addColumn('last_attempt_at', 'varchar(40)')
      .addColumn('last_success_at', 'varchar(40)')
      .addColumn('last_error', 'text')
      .addColumn('dataset_count', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['federated_peers', 'federated_datasets', 'dataset_offers', 'datasets']) await db.schema.dropTable(t).execute();
  },
};
