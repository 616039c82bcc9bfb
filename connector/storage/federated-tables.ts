import type { Generated } from 'kysely';

/** The federated catalog's tables (migration 0102): peers' datasets as crawled, their facets, pages and peers. */
export interface FederatedEntriesTable {
  entry_id: Generated<number>;
  provider_did: string;
  dataset_id: string;
  /** The entry is visible while from_gen <= its peer's current_gen < to_gen (to_gen null: not superseded). */
  from_gen: number;
  to_gen: number | null;
  /** SHA-256 of the dataset's DSP JSON as the peer sent it: unchanged datasets are not rewritten. */
  digest: string;
  title: string;
  description: string;
  /** JSON lists (the facets are rows of federated_facets). */
  keywords: string;
  offers: string;
  /** Title, description and keywords folded to lower case without diacritics: what text search indexes. */
  search_text: string;
  crawled_at: string;
}

export interface FederatedFacetsTable {
  entry_id: number;
  facet: string;
  value: string;
  match_key: string;
}

export interface FederatedPagesTable {
  provider_did: string;
  url: string;
  etag: string;
  next_url: string | null;
  /** JSON list: the datasets the page held, still there when the peer says the page is unchanged. */
  dataset_ids: string;
}

export interface FederatedDocumentsTable {
  provider_did: string;
  dataset_id: string;
  digest: string;
  document: string;
  fetched_at: string;
}

export interface FederatedPeersTable {
  did: string;
  name: string | null;
  dsp_address: string;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_error_cause: string | null;
  /** JSON CrawlStats of the last crawl. */
  last_crawl: string | null;
  dataset_count: number;
  current_gen: Generated<number>;
}

export interface FederatedTables {
  federated_entries: FederatedEntriesTable;
  federated_facets: FederatedFacetsTable;
  federated_pages: FederatedPagesTable;
  federated_documents: FederatedDocumentsTable;
  federated_peers: FederatedPeersTable;
}
