import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Search orders, filters and counts in memory (federated-search-index.ts), so two indexes of 0102 are
 * never read: the title order and the facet value lookup. Every crawled entry and facet row wrote them.
 */
export const federatedSearchInMemory: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.dropIndex('federated_entries_title').ifExists().execute();
    await db.schema.dropIndex('federated_facets_match').ifExists().execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.createIndex('federated_entries_title').on('federated_entries').columns(['title', 'entry_id', 'provider_did', 'from_gen', 'to_gen']).execute();
    await db.schema.createIndex('federated_facets_match').on('federated_facets').columns(['facet', 'match_key', 'entry_id']).execute();
  },
};
