import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Dataset } from '../../catalog/dataset.ts';
import type { PublishedDataset } from '../../catalog/publication.ts';

export interface DatasetsTable {
  id: string;
  visibility: 'public' | 'members';
  dataset: string;
  dsp: string;
  turtle: string;
  jsonld: string;
  search_text: string;
  created_at: string;
  modified_at: string;
}

export interface DatasetOffersTable {
  offer_id: string;
  dataset_id: string;
}

export interface FederatedDatasetsTable {
  provider_did: string;
  dataset_id: string;
  dsp_address: string;
  title: string;
  search_text: string;
  /** JSON: { themes, healthCategories, publishers, spatial } as lists of IRIs or names. */
  facets: string;
  dataset: string;
  crawled_at: string;
}

export interface FederatedPeersTable {
  did: string;
  name: string | null;
  dsp_address: string;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  dataset_count: number;
}

export interface CatalogTables {
  datasets: DatasetsTable;
  dataset_offers: DatasetOffersTable;
  federated_datasets: FederatedDatasetsTable;
  federated_peers: FederatedPeersTable;
}

export class OfferTakenError extends Error {
  override name = 'OfferTakenError';
}

/** This connector's published datasets. Visibility "public" ⊂ what members see. */
export function catalogStore(db: Kysely<Database>) {
  const visibleTo = (members: boolean): ('public' | 'members')[] => (members ? ['public', 'members'] : ['public']);
  return {
    /** Inserts or replaces a dataset and its offer index in one transaction. */
    async put(published: PublishedDataset): Promise<void> {
      const { dataset } = published;
      await db.transaction().execute(async (trx) => {
        const owners = await trx.selectFrom('dataset_offers').select(['offer_id', 'dataset_id']).where('offer_id', 'in', dataset.offers.map((o) => o['@id'])).execute();
        const taken = owners.find((o) => o.dataset_id !== dataset.id);
        if (taken) throw new OfferTakenError(`offer ${taken.offer_id} already belongs to dataset ${taken.dataset_id}`);
        const now = new Date().toISOString();
        const row = { visibility: dataset.visibility, dataset: JSON.stringify(dataset), dsp: published.dsp, turtle: published.turtle, jsonld: published.jsonld, search_text: published.searchText, modified_at: dataset.modified };
        await trx.insertInto('datasets').values({ id: dataset.id, created_at: now, ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
        await trx.deleteFrom('dataset_offers').where('dataset_id', '=', dataset.id).execute();
        await trx.insertInto('dataset_offers').values(dataset.offers.map((o) => ({ offer_id: o['@id'], dataset_id: dataset.id }))).execute();
      });
    },
    async get(id: string): Promise<Dataset | undefined> {
      const row = await db.selectFrom('datasets').select('dataset').where('id', '=', id).executeTakeFirst();
      return row && JSON.parse(row.dataset);
    },
    async remove(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('dataset_offers').where('dataset_id', '=', id).execute();
        const result = await trx.deleteFrom('datasets').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },
    async list(options: { offset?: number; limit?: number } = {}): Promise<Dataset[]> {
      const rows = await db.selectFrom('datasets').select('dataset').orderBy('id').offset(options.offset ?? 0).limit(options.limit ?? 100).execute();
      return rows.map((r) => JSON.parse(r.dataset));
    },
    /**
     * One page of precomputed serializations in id order: after `offset` rows, or keyset-style right after the
     * id `after` (an index seek, however deep the page), or the rows right before the id `before`.
     */
    async page<K extends 'dsp' | 'turtle' | 'jsonld'>(column: K, options: { members: boolean; offset?: number; after?: string; before?: string; limit: number; text?: string }): Promise<{ id: string; value: string }[]> {
      let query = db.selectFrom('datasets').select(['id', column]).where('visibility', 'in', visibleTo(options.members)).limit(options.limit);
      if (options.text) query = query.where('search_text', 'like', `%${options.text.toLowerCase()}%`);
      if (options.after !== undefined) query = query.where('id', '>', options.after);
      if (options.before !== undefined) query = query.where('id', '<', options.before).orderBy('id', 'desc');
      else query = query.orderBy('id').offset(options.offset ?? 0);
      const rows = (await query.execute()).map((r) => {
        const row = r as unknown as { id: string } & Record<K, string>;
        return { id: row.id, value: row[column] };
      });
      return options.before !== undefined ? rows.reverse() : rows;
    },
    async anyMembersOnly(): Promise<boolean> {
      return (await db.selectFrom('datasets').select('id').where('visibility', '=', 'members').limit(1).executeTakeFirst()) !== undefined;
    },
    async ids(members: boolean): Promise<string[]> {
      return (await db.selectFrom('datasets').select('id').where('visibility', 'in', visibleTo(members)).orderBy('id').execute()).map((r) => r.id);
    },
    async visibility(id: string): Promise<{ dsp: string; visibility: string } | undefined> {
      return db.selectFrom('datasets').select(['dsp', 'visibility']).where('id', '=', id).executeTakeFirst();
    },
    async datasetOfOffer(offerId: string): Promise<Dataset | undefined> {
      const row = await db.selectFrom('dataset_offers').innerJoin('datasets', 'datasets.id', 'dataset_offers.dataset_id').select('datasets.dataset').where('dataset_offers.offer_id', '=', offerId).executeTakeFirst();
      return row && JSON.parse(row.dataset);
    },
  };
}

export type CatalogStore = ReturnType<typeof catalogStore>;

export interface FederatedEntry {
  providerDid: string;
  providerName: string | null;
  dspAddress: string;
  datasetId: string;
  title: string;
  facets: { themes: string[]; healthCategories: string[]; publishers: string[]; spatial: string[] };
  dataset: Record<string, unknown>;
  crawledAt: string;
}

export interface PeerStatus {
  did: string;
  name: string | null;
  dspAddress: string;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  datasetCount: number;
}

/** The federated catalog: peers' datasets as last crawled, and how each peer's last crawl went. */
export function federatedStore(db: Kysely<Database>) {
  return {
    /** Replaces everything known of one provider, atomically. */
    async replaceProvider(peer: { did: string; name?: string; dspAddress: string }, entries: { datasetId: string; title: string; searchText: string; facets: FederatedEntry['facets']; dataset: unknown }[]): Promise<void> {
      const now = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('federated_datasets').where('provider_did', '=', peer.did).execute();
        for (let i = 0; i < entries.length; i += 200) {
          await trx
            .insertInto('federated_datasets')
            .values(entries.slice(i, i + 200).map((e) => ({ provider_did: peer.did, dataset_id: e.datasetId, dsp_address: peer.dspAddress, title: e.title, search_text: e.searchText, facets: JSON.stringify(e.facets), dataset: JSON.stringify(e.dataset), crawled_at: now })))
            .execute();
        }
        const status = { name: peer.name ?? null, dsp_address: peer.dspAddress, last_attempt_at: now, last_success_at: now, last_error: null, dataset_count: entries.length };
        await trx.insertInto('federated_peers').values({ did: peer.did, ...status }).onConflict((oc) => oc.column('did').doUpdateSet(status)).execute();
      });
    },
    async recordFailure(peer: { did: string; name?: string; dspAddress: string }, error: string): Promise<void> {
      const now = new Date().toISOString();
      await db
        .insertInto('federated_peers')
        .values({ did: peer.did, name: peer.name ?? null, dsp_address: peer.dspAddress, last_attempt_at: now, last_success_at: null, last_error: error, dataset_count: 0 })
        .onConflict((oc) => oc.column('did').doUpdateSet({ last_attempt_at: now, last_error: error, dsp_address: peer.dspAddress }))
        .execute();
    },
    async peers(): Promise<PeerStatus[]> {
      const rows = await db.selectFrom('federated_peers').selectAll().orderBy('did').execute();
      return rows.map((r) => ({ did: r.did, name: r.name, dspAddress: r.dsp_address, lastAttemptAt: r.last_attempt_at, lastSuccessAt: r.last_success_at, lastError: r.last_error, datasetCount: Number(r.dataset_count) }));
    },
    /** The crawled entries of one dataset (one per provider offering it). */
    async find(datasetId: string): Promise<FederatedEntry[]> {
      const rows = await db.selectFrom('federated_datasets').leftJoin('federated_peers', 'federated_peers.did', 'federated_datasets.provider_did').selectAll('federated_datasets').select('federated_peers.name as provider_name').where('federated_datasets.dataset_id', '=', datasetId).execute();
      return rows.map((r) => ({ providerDid: r.provider_did, providerName: r.provider_name, dspAddress: r.dsp_address, datasetId: r.dataset_id, title: r.title, facets: JSON.parse(r.facets), dataset: JSON.parse(r.dataset), crawledAt: r.crawled_at }));
    },
    /** Entries whose text contains every word of `text`; facets are filtered by the caller. */
    async search(text: string | undefined, limit: number): Promise<FederatedEntry[]> {
      let query = db.selectFrom('federated_datasets').leftJoin('federated_peers', 'federated_peers.did', 'federated_datasets.provider_did').selectAll('federated_datasets').select('federated_peers.name as provider_name').orderBy('federated_datasets.title').limit(limit);
      for (const word of (text ?? '').toLowerCase().split(/\s+/).filter(Boolean)) query = query.where('federated_datasets.search_text', 'like', `%${word.replace(/[%_]/g, '')}%`);
      const rows = await query.execute();
      return rows.map((r) => ({ providerDid: r.provider_did, providerName: r.provider_name, dspAddress: r.dsp_address, datasetId: r.dataset_id, title: r.title, facets: JSON.parse(r.facets), dataset: JSON.parse(r.dataset), crawledAt: r.crawled_at }));
    },
  };
}

export type FederatedStore = ReturnType<typeof federatedStore>;
