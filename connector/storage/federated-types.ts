import type { DatasetSummary, Facet } from '../../catalog/federated.ts';

/** What the federated catalog store takes and gives: peers, crawled entries, crawl statistics, searches. */
export interface PeerRef {
  did: string;
  name?: string;
  dspAddress: string;
}

/** One dataset of a catalog page, as the crawler hands it over. */
export interface CrawledEntry {
  datasetId: string;
  digest: string;
  summary: DatasetSummary;
  searchText: string;
  facetValues: { facet: Facet; value: string }[];
}

export interface CrawlStats {
  pages: number;
  notModified: number;
  written: number;
  retired: number;
  datasets: number;
  ms: number;
}

export interface PageRecord {
  url: string;
  etag: string;
  next: string | null;
  datasetIds: string[];
}

export interface FederatedEntry {
  providerDid: string;
  providerName: string | null;
  dspAddress: string;
  datasetId: string;
  title: string;
  description: string;
  keywords: string[];
  facets: DatasetSummary['facets'];
  offers: Record<string, unknown>[];
  /** The part of the DSP Dataset kept: its id and offers (`hasPolicy`). The whole dataset: `document()`. */
  dataset: { '@id': string; hasPolicy: Record<string, unknown>[] };
  digest: string;
  crawledAt: string;
}

export interface PeerStatus {
  did: string;
  name: string | null;
  dspAddress: string;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorCause: string | null;
  lastCrawl: CrawlStats | null;
  datasetCount: number;
}

export interface SearchRequest {
  words: string[];
  facets: Partial<Record<Facet, string>>;
  limit: number;
  after?: { title: string; entryId: number };
  /** Count the hits and, for these facets, the hits per value (the first page needs them, the next ones do not). */
  counts?: Facet[];
}

export interface SearchResult {
  hits: FederatedEntry[];
  after?: { title: string; entryId: number };
  total?: number;
  facetCounts?: Partial<Record<Facet, { value: string; count: number }[]>>;
}

/** Rows per delete or update statement: each is a short write, however large the change. */
