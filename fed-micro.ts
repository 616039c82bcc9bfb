import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openDatabase } from './connector/storage/database.ts';
import { federatedStore } from './connector/storage/federated-store.ts';
import { catalogHost } from './catalog/rdf.ts';
import { prepareDataset } from './catalog/publication.ts';
import { facetValues, searchTextOf, summarizeDataset } from './catalog/federated.ts';
const example = JSON.parse(readFileSync('examples/datasets/diabetes-cohort.json', 'utf8'));
const host = catalogHost('http://127.0.0.1:1', 'did:web:x', 'H');
const p = await prepareDataset({ ...example, id: 'urn:uuid:t' }, host, { sourceBytes: 100 });
const db = await openDatabase('sqlite', mkdtempSync(join(tmpdir(), 'fedmicro-')));
const store = federatedStore(db.db);
const peer = { did: 'did:web:p', dspAddress: 'http://x' };
const { generation } = await store.beginCrawl(peer);
const pageText = `{"@type":"Catalog","dataset":[${Array.from({ length: 100 }, (_, i) => p.dsp.replaceAll('urn:uuid:t', `urn:uuid:t${i}`)).join(',')}]}`;
for (let page = 0; page < 10; page++) {
  const t0 = performance.now();
  const datasets = JSON.parse(pageText.replaceAll('urn:uuid:t', `urn:uuid:p${page}-`)).dataset;
  const t1 = performance.now();
  const entries = datasets.map((node: any) => { const s = summarizeDataset(node)!; return { datasetId: s.id, digest: createHash('sha256').update(JSON.stringify(node)).digest('base64url'), summary: s, searchText: searchTextOf(s), facetValues: facetValues(s, peer.did) }; });
  const t2 = performance.now();
  await store.stagePage(peer.did, generation, `u${page}`, entries);
  const t3 = performance.now();
  console.log(`parse ${(t1 - t0).toFixed(1)} summarize ${(t2 - t1).toFixed(1)} stage ${(t3 - t2).toFixed(1)} ms; facets/entry ${entries[0].facetValues.length}; bytes ${pageText.length}`);
}
const t0 = performance.now();
console.log(await store.finishCrawl(peer, generation, new Set(), [], { pages: 0, notModified: 0, written: 1000, moved: 0, ms: 0 }), (performance.now() - t0).toFixed(1));
