import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { textSearchFor } from '../federated-text-search.ts';

/**
 * The federated catalog at dataspace scale: what search needs of each crawled dataset (no whole DSP
 * documents), a facet index, a full-text index, generations so a peer's new catalog replaces its old one
 * only once wholly read, the ETags of the catalog pages, and a cache of full datasets fetched on demand.
 * Entries crawled before are dropped: the next crawl brings them back.
 */
export const federatedSearch: Migration = {
  async up(db: Kysely<any>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.dropTable('federated_datasets').execute();
    await db.schema
      .createTable('federated_entries')
      .addColumn('entry_id', 'integer', (c) => (postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
      .addColumn('provider_did', 'varchar(300)', (c) => c.notNull())
      .addColumn('dataset_id', 'varchar(300)', (c) => c.notNull())
      // Visible while from_gen <= the peer's current generation < to_gen (null: not superseded).
      .addColumn('from_gen', 'integer', (c) => c.notNull())
      .addColumn('to_gen', 'integer')
      .addColumn('digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('keywords', 'text', (c) => c.notNull())
      .addColumn('offers', 'text', (c) => c.notNull())
      .addColumn('search_text', 'text', (c) => c.notNull())
      .addColumn('crawled_at', 'varchar(40)', (c) => c.notNull())
      .addUniqueConstraint('federated_entries_version', ['provider_did', 'dataset_id', 'from_gen'])
      .execute();
    // Hits in title order; with the visibility columns, a walk along it checks entries without reading their rows.
    await db.schema.createIndex('federated_entries_title').on('federated_entries').columns(['title', 'entry_id', 'provider_did', 'from_gen', 'to_gen']).execute();
    await db.schema.createIndex('federated_entries_dataset').on('federated_entries').columns(['dataset_id']).execute();
    // A crawl's clean-up finds a peer's staged and retired rows by generation.
    await db.schema.createIndex('federated_entries_staged').on('federated_entries').columns(['provider_did', 'from_gen']).execute();
    await db.schema.createIndex('federated_entries_retired').on('federated_entries').columns(['provider_did', 'to_gen']).execute();
    // Keyed by entry, facet and value: counting the values of a set of hits reads the key alone. On SQLite
    // without a rowid, so each facet row is written to two b-trees, not three.
    const facets = db.schema
      .createTable('federated_facets')
      .addColumn('entry_id', 'integer', (c) => c.notNull().references('federated_entries.entry_id').onDelete('cascade'))
      .addColumn('facet', 'varchar(40)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('match_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_facets_pk', ['entry_id', 'facet', 'value']);
    await (postgres ? facets : facets.modifyEnd(sql`without rowid`)).execute();
    await db.schema.createIndex('federated_facets_match').on('federated_facets').columns(['facet', 'match_key', 'entry_id']).execute();
    await textSearchFor(db).up(db);
    await db.schema
      .createTable('federated_pages')
      .addColumn('provider_did', 'varchar(300)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('etag', 'text', (c) => c.notNull())
      .addColumn('next_url', 'text')
      .addColumn('dataset_ids', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_pages_pk', ['provider_did', 'url'])
      .execute();
    await db.schema
      .createTable('federated_documents')
      .addColumn('provider_did', 'varchar(300)', (c) => c.notNull())
      .addColumn('dataset_id', 'varchar(300)', (c) => c.notNull())
      .addColumn('digest', 'varchar(64)', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('fetched_at', 'varchar(40)', (c) => c.notNull())
      .addPrimaryKeyConstraint('federated_documents_pk', ['provider_did', 'dataset_id'])
      .execute();
    await db.schema
      .alterTable('federated_peers')
      .addColumn('current_gen', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('federated_peers').addColumn('last_error_cause', 'text').execute();
    await db.schema.alterTable('federated_peers').addColumn('last_crawl', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await textSearchFor(db).down(db);
    for (const t of ['federated_documents', 'federated_pages', 'federated_facets', 'federated_entries']) await db.schema.dropTable(t).execute();
    for (const c of ['last_crawl', 'last_error_cause', 'current_gen']) await db.schema.alterTable('federated_peers').dropColumn(c).execute();
    // 0101's table, empty: the next crawl fills it.
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
  },
};
