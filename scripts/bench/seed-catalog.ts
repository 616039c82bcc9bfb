import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../connector/storage/schema.ts';
import { catalogHost, datasetQuads, type CatalogHost } from '../../catalog/rdf.ts';
import { prepareDataset, publication } from '../../catalog/publication.ts';
import type { Dataset } from '../../catalog/dataset.ts';
import { didWebFromUrl } from '../../connector/identity/did-web.ts';

/**
 * Fills a connector's catalog straight in its database, for benchmarks and tests at scale: registering
 * thousands of datasets through the management API validates each against the SHACL shapes, which takes
 * far longer than what is measured. The datasets are the example dataset (validated once) with overrides.
 */
const EXAMPLE = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));

export const hostOf = (publicUrl: string, name: string): CatalogHost => catalogHost(publicUrl, didWebFromUrl(publicUrl), name);

/** Writes `count` datasets; `vary(i)` gives dataset i's id and what differs from the example. */
export async function seedCatalog(db: Kysely<Database>, host: CatalogHost, count: number, vary: (i: number) => Partial<Dataset> & { id: string }): Promise<void> {
  const template = (await prepareDataset({ ...EXAMPLE, id: 'urn:uuid:template', publisher: { ...EXAMPLE.publisher, name: host.publisherName } }, host, { sourceBytes: 1_000_000 }))
    .dataset;
  for (let start = 0; start < count; start += 500) {
    const rows: Database['datasets'][] = [];
    const offers: Database['dataset_offers'][] = [];
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const changes = vary(i);
      const dataset: Dataset = { ...template, identifier: changes.id, offers: [{ ...template.offers[0]!, '@id': `${changes.id}:offer` }], ...changes };
      const p = publication(dataset, datasetQuads(dataset, host), host);
      rows.push({
        id: dataset.id,
        visibility: 'public',
        dataset: JSON.stringify(dataset),
        dsp: p.dsp,
        turtle: p.turtle,
        jsonld: p.jsonld,
        search_text: p.searchText,
        created_at: dataset.modified,
        modified_at: dataset.modified,
      });
      offers.push({ offer_id: `${dataset.id}:offer`, dataset_id: dataset.id });
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('datasets').values(rows).execute();
      await trx.insertInto('dataset_offers').values(offers).execute();
    });
  }
}
