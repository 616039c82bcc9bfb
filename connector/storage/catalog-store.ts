import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Dataset } from '../../catalog/dataset.ts';
import type { PublishedDataset } from '../../catalog/publication.ts';
import type { FederatedTables } from './federated-tables.ts';

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

export interface CatalogTables extends FederatedTables {
  datasets: DatasetsTable;
  dataset_offers: DatasetOffersTable;
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
        const owners = await trx
          .selectFrom('dataset_offers')
          .select(['offer_id', 'dataset_id'])
          .where(
            'offer_id',
            'in',
            dataset.offers.map((o) => o['@id']),
          )
          .execute();
        const taken = owners.find((o) => o.dataset_id !== dataset.id);
        if (taken) throw new OfferTakenError(`offer ${taken.offer_id} already belongs to dataset ${taken.dataset_id}`);
        const now = new Date().toISOString();
        const row = {
          visibility: dataset.visibility,
          dataset: JSON.stringify(dataset),
          dsp: published.dsp,
          turtle: published.turtle,
          jsonld: published.jsonld,
          search_text: published.searchText,
          modified_at: dataset.modified,
        };
        await trx
          .insertInto('datasets')
          .values({ id: dataset.id, created_at: now, ...row })
          .onConflict((oc) => oc.column('id').doUpdateSet(row))
          .execute();
        await trx.deleteFrom('dataset_offers').where('dataset_id', '=', dataset.id).execute();
        await trx
          .insertInto('dataset_offers')
          .values(dataset.offers.map((o) => ({ offer_id: o['@id'], dataset_id: dataset.id })))
          .execute();
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
      const rows = await db
        .selectFrom('datasets')
        .select('dataset')
        .orderBy('id')
        .offset(options.offset ?? 0)
        .limit(options.limit ?? 100)
        .execute();
      return rows.map((r) => JSON.parse(r.dataset));
    },
    /**
     * One page of precomputed serializations in id order: after `offset` rows, or keyset-style right after the
     * id `after` (an index seek, however deep the page), or the rows right before the id `before`.
     */
    async page<K extends 'dsp' | 'turtle' | 'jsonld'>(
      column: K,
      options: { members: boolean; offset?: number; after?: string; before?: string; limit: number; text?: string },
    ): Promise<{ id: string; value: string }[]> {
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
      const row = await db
        .selectFrom('dataset_offers')
        .innerJoin('datasets', 'datasets.id', 'dataset_offers.dataset_id')
        .select('datasets.dataset')
        .where('dataset_offers.offer_id', '=', offerId)
        .executeTakeFirst();
      return row && JSON.parse(row.dataset);
    },
  };
}

export type CatalogStore = ReturnType<typeof catalogStore>;

// The federated catalog (peers' datasets as crawled) lives in federated-store.ts.
export { federatedStore, type FederatedStore, type FederatedEntry, type PeerStatus } from './federated-store.ts';
