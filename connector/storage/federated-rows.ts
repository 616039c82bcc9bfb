import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { FederatedEntriesTable } from './federated-tables.ts';
import type { DatasetSummary, Facet } from '../../catalog/federated.ts';
import type { FederatedEntry } from './federated-types.ts';

/** Rows of the federated catalog as search reads them, and how they become entries. */
export type Db = Kysely<Database> | Transaction<Database>;
export type Row = Pick<FederatedEntriesTable, 'provider_did' | 'dataset_id' | 'title' | 'description' | 'keywords' | 'offers' | 'digest' | 'crawled_at'> & {
  entry_id: number;
  name: string | null;
  dsp_address: string;
};
export const HIT_COLUMNS = [
  'federated_entries.entry_id',
  'federated_entries.provider_did',
  'federated_entries.dataset_id',
  'federated_entries.title',
  'federated_entries.description',
  'federated_entries.keywords',
  'federated_entries.offers',
  'federated_entries.digest',
  'federated_entries.crawled_at',
  'federated_peers.name',
  'federated_peers.dsp_address',
] as const;
/** Where each facet's values go in a hit's `facets` (keywords and the provider are shown on their own). */
export const FACET_LISTS: Partial<Record<Facet, keyof DatasetSummary['facets']>> = {
  theme: 'themes',
  healthCategory: 'healthCategories',
  healthTheme: 'healthThemes',
  publisher: 'publishers',
  spatial: 'spatial',
  accessRights: 'accessRights',
};

export function entryOf(r: Row, facets: DatasetSummary['facets']): FederatedEntry {
  const offers = JSON.parse(r.offers) as Record<string, unknown>[];
  return {
    providerDid: r.provider_did,
    providerName: r.name,
    dspAddress: r.dsp_address,
    datasetId: r.dataset_id,
    title: r.title,
    description: r.description,
    keywords: JSON.parse(r.keywords),
    facets,
    offers,
    dataset: { '@id': r.dataset_id, hasPolicy: offers },
    digest: r.digest,
    crawledAt: r.crawled_at,
  };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Entries visible now: within their peer's current generation. */
export function visibleEntries(db: Db) {
  return db
    .selectFrom('federated_entries')
    .innerJoin('federated_peers', 'federated_peers.did', 'federated_entries.provider_did')
    .whereRef('federated_entries.from_gen', '<=', 'federated_peers.current_gen')
    .where((eb) => eb.or([eb('federated_entries.to_gen', 'is', null), eb('federated_entries.to_gen', '>', eb.ref('federated_peers.current_gen'))]));
}

/**
 * The ids of a comma-separated list (SQLite's group_concat, PostgreSQL's string_agg): one string for a
 * hundred thousand ids costs far less than a row object each.
 */
export function parseIdList(list: string | null): Int32Array {
  if (!list) return new Int32Array(0);
  let count = 1;
  for (let i = 0; i < list.length; i++) if (list.charCodeAt(i) === 44) count++;
  const ids = new Int32Array(count);
  let n = 0;
  let value = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list.charCodeAt(i);
    if (c === 44) {
      ids[n++] = value;
      value = 0;
    } else value = value * 10 + c - 48;
  }
  ids[n] = value;
  return ids;
}
