/**
 * npm run bench:catalog: a hospital connector (its own process, SQLite) with 10,000 HealthDCAT-AP datasets.
 * Measures a DSP catalog request for one page (authenticated, as a peer sends it) and a Turtle export of the
 * whole catalog, each beside a Hono route answering a pre-serialized body of the same size, in the same run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../connector/storage/database.ts';
import { didWebFromUrl } from '../../connector/identity/did-web.ts';
import { startConnector } from '../../connector/server.ts';
import { parseConfig } from '../../connector/config.ts';
import { createLogger } from '../../connector/logger.ts';
import { catalogHost, datasetQuads } from '../../catalog/rdf.ts';
import { prepareDataset, publication } from '../../catalog/publication.ts';
import { startConnectorProcess } from '../dataspace/connector-process.ts';
import { freePort, runLoad, startScript } from './load.ts';
import { printTable } from './measure.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';

const DATASETS = Number(process.env.BENCH_DATASETS ?? 10_000);
const PAGE = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 16;
const DSP = 'https://w3id.org/dspace/2025/1/context.jsonld';

const dir = mkdtempSync(join(tmpdir(), 'bench-catalog-'));
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const name = 'Bench Hospital';
const host = catalogHost(publicUrl, didWebFromUrl(publicUrl), name);
const dataDir = join(dir, 'hospital', 'data');
mkdirSync(join(dataDir, 'datasets', 'diabetes-cohort'), { recursive: true });

console.log(`Loading ${DATASETS} datasets…`);
const example = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));
const template = await prepareDataset({ ...example, id: 'urn:uuid:template' }, host, { sourceBytes: 1_000_000 });
const db = await openDatabase('sqlite', dataDir);
const loadStarted = performance.now();
for (let start = 0; start < DATASETS; start += 500) {
  const rows: Record<string, string>[] = [];
  const offers: { offer_id: string; dataset_id: string }[] = [];
  for (let i = start; i < Math.min(DATASETS, start + 500); i++) {
    const id = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const dataset = {
      ...template.dataset,
      id,
      identifier: id,
      title: { en: `Synthetic cohort ${i}`, fr: `Cohorte synthétique ${i}` },
      offers: [{ ...template.dataset.offers[0]!, '@id': `${id}:offer` }],
    };
    const p = publication(dataset, datasetQuads(dataset, host), host);
    rows.push({
      id,
      visibility: 'public' as const,
      dataset: JSON.stringify(dataset),
      dsp: p.dsp,
      turtle: p.turtle,
      jsonld: p.jsonld,
      search_text: p.searchText,
      created_at: dataset.modified,
      modified_at: dataset.modified,
    });
    offers.push({ offer_id: `${id}:offer`, dataset_id: id });
  }
  await db.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('datasets')
      .values(rows as never)
      .execute();
    await trx.insertInto('dataset_offers').values(offers).execute();
  });
}
await db.close();
console.log(`  loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

const hospital = await startConnectorProcess(
  join(dir, 'hospital'),
  { name, role: 'hospital', port, dataDir: 'data', logLevel: 'warn', catalogCrawlIntervalSeconds: 0 },
  { ...process.env, DATABASE_URL: '', NODE_OPTIONS: process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` : '' },
);
const client = await startConnector(
  parseConfig({ name: 'bench-client', role: 'research-institute', port: 0, dataDir: join(dir, 'client'), logLevel: 'silent', catalogCrawlIntervalSeconds: 0 }),
  { logger: createLogger({ level: 'silent' }) },
);
const authorization = () => client.ctx.trust.authorizationFor({ audienceDid: hospital.did });
const body = JSON.stringify({ '@context': [DSP], '@type': 'CatalogRequestMessage' });
const pageUrl = `${dspAddressOf(hospital.url)}/catalog/request?limit=${PAGE}`;
const catalogPage = async () => fetch(pageUrl, { method: 'POST', headers: { authorization: await authorization(), 'content-type': 'application/json' }, body });

try {
  const sample = await (await catalogPage()).text();
  const pageCount = (JSON.parse(sample).dataset ?? []).length;
  if (pageCount !== PAGE) throw new Error(`expected a page of ${PAGE} datasets, got ${pageCount}`);
  const exportStarted = performance.now();
  const turtle = await (await fetch(`${hospital.url}/catalog?format=turtle`)).text();
  const firstExport = performance.now() - exportStarted;

  writeFileSync(join(dir, 'page.json'), sample);
  writeFileSync(join(dir, 'export.ttl'), turtle);
  const basePort = await freePort();
  const baseline = await startScript('./baseline-server.ts', [String(basePort), join(dir, 'page.json')]);
  const exportPort = await freePort();
  const exportBaseline = await startScript('./baseline-server.ts', [String(exportPort), join(dir, 'export.ttl'), 'text/turtle']);

  console.log(`Measuring (${SECONDS} s each, ${CONCURRENCY} concurrent requests)…`);
  const base = await runLoad(
    async () => fetch(`http://127.0.0.1:${basePort}/`, { method: 'POST', headers: { authorization: await authorization(), 'content-type': 'application/json' }, body }),
    { seconds: SECONDS, concurrency: CONCURRENCY },
  );
  const dsp = await runLoad(catalogPage, { seconds: SECONDS, concurrency: CONCURRENCY });
  // Every request a different page (after a different dataset id, as Link rel="next" gives), so none is cached.
  let next = 0;
  const idAt = (i: number) => `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const cold = await runLoad(
    async () =>
      fetch(`${pageUrl}&after=${encodeURIComponent(idAt((next++ * 7919) % (DATASETS - PAGE)))}`, {
        method: 'POST',
        headers: { authorization: await authorization(), 'content-type': 'application/json' },
        body,
      }),
    { seconds: SECONDS, concurrency: CONCURRENCY },
  );
  const timeIt = async (url: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await (await fetch(url)).text();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2]!;
  };
  const exportMs = await timeIt(`${hospital.url}/catalog?format=turtle`);
  const exportBaseMs = await timeIt(`http://127.0.0.1:${exportPort}/`);
  baseline.kill();
  exportBaseline.kill();

  printTable(
    `Catalog of ${DATASETS} datasets: DSP page of ${PAGE} (${(sample.length / 1024).toFixed(0)} KiB), whole-catalog Turtle (${(turtle.length / 1048576).toFixed(1)} MiB)`,
    [
      ['baseline: Hono, pre-serialized page', base.perSecond, base.p50, base.p95, base.failures, '1'],
      ['DSP catalog request, same page (token verified, page cached)', dsp.perSecond, dsp.p50, dsp.p95, dsp.failures, (dsp.perSecond / base.perSecond).toFixed(2)],
      ['DSP catalog request, a different page each time (read from SQLite)', cold.perSecond, cold.p50, cold.p95, cold.failures, (cold.perSecond / base.perSecond).toFixed(2)],
    ],
    ['', 'requests/s', 'p50 ms', 'p95 ms', 'failures', 'throughput ratio'],
  );
  printTable(
    'Whole-catalog Turtle export (median of 5)',
    [
      ['baseline: Hono, pre-serialized body of the same size', exportBaseMs, '1'],
      ['GET /catalog?format=turtle', exportMs, (exportMs / exportBaseMs).toFixed(1)],
      ['first export after start', firstExport, ''],
    ],
    ['', 'ms', 'ratio'],
  );
  const ratio = Math.min(dsp.perSecond, cold.perSecond) / base.perSecond;
  const pass = ratio >= 0.5 && exportMs < 2000 && dsp.failures + cold.failures === 0;
  console.log(`\nTargets: page throughput ≥ 0.5× baseline (worst case ${ratio.toFixed(2)}), Turtle export < 2 s (${(exportMs / 1000).toFixed(2)} s): ${pass ? 'met' : 'NOT met'}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await client.close();
  await hospital.stop();
  rmSync(dir, { recursive: true, force: true });
}
