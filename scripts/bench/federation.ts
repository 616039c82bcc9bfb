/**
 * npm run bench:federation [-- --hospitals N --datasets D --heap MiB --database postgres://… --seed-copy --hospital-heap MiB --keep | --reuse DIR]: N hospital connectors and one
 * research institute, each its own process (SQLite). Every hospital's catalog of D HealthDCAT-AP datasets is
 * seeded straight into its database (registering 10,000 datasets through the API, SHACL-validated one by one,
 * would dominate the run). The institute crawls them all, then again with nothing changed, while a management
 * API request runs every 10 ms (the longest answer is the longest stall); then facet and text searches, whose
 * counts are checked against what was published (each a query not counted before: the institute keeps counts
 * until a catalog changes), and a walk through a result with cursors.
 * --keep leaves the folder of a run; --reuse DIR starts that run's connectors again on their own ports,
 * with the institute's catalog as crawled, and measures the re-crawl and the searches only (at 1,000,000
 * entries seeding and crawling take most of an hour, the searches a minute); a run kept before its
 * institute crawled is crawled first.
 * Prints the figures and ends with `RESULT <json>`.
 */
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../connector/storage/database.ts';
import { startConnectorProcess, type ConnectorProcess } from '../dataspace/connector-process.ts';
import { freePort } from './load.ts';
import { hostOf, seedCatalog } from './seed-catalog.ts';
import { percentile, printTable } from './measure.ts';

const { values: args } = parseArgs({
  options: {
    hospitals: { type: 'string', default: '5' },
    datasets: { type: 'string', default: '1000' },
    heap: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    database: { type: 'string' },
    rounds: { type: 'string', default: '40' },
    'seed-copy': { type: 'boolean', default: false },
    'hospital-heap': { type: 'string' },
  },
});
const HOSPITALS = Number(args.hospitals);
const DATASETS = Number(args.datasets);
const ROUNDS = Number(args.rounds);

const TOPICS = ['asthma', 'sepsis', 'melanoma', 'glaucoma', 'psoriasis', 'leukaemia', 'migraine', 'lupus', 'anaemia', 'stroke'];
const CATEGORIES = ['EHR', 'REGISTRY', 'GENOMICS', 'IMAGING', 'CLAIMS'].map((c) => `http://healthdataportal.eu/ns/health-category#${c}`);
const HEAL = 'http://publications.europa.eu/resource/authority/data-theme/HEAL';
const RARE_THEME = 'http://publications.europa.eu/resource/authority/data-theme/TECH';
/** What dataset i of every hospital looks like: topic i % 10, category i % 5, the rare theme on every 100th. */
const shape = (i: number) => ({ topic: TOPICS[i % TOPICS.length]!, category: CATEGORIES[i % CATEGORIES.length]!, rare: i % 100 === 0 });
const expected = (test: (s: ReturnType<typeof shape>) => boolean) => HOSPITALS * Array.from({ length: DATASETS }, (_, i) => shape(i)).filter(test).length;

const reused = args.reuse;
const crawledBefore = reused !== undefined && existsSync(join(reused, 'institute', 'data', 'connector.db'));
const dir = reused ?? mkdtempSync(join(tmpdir(), 'bench-federation-'));

async function seedHospital(h: number, port: number): Promise<void> {
  const dataDir = join(dir, `hospital-${h}`, 'data');
  mkdirSync(join(dataDir, 'datasets', 'diabetes-cohort'), { recursive: true });
  const db = await openDatabase('sqlite', dataDir);
  await seedCatalog(db.db, hostOf(`http://127.0.0.1:${port}`, `Hospital ${h}`), DATASETS, (i) => {
    const { topic, category, rare } = shape(i);
    return {
      id: `urn:uuid:00000000-0000-4000-8${String(h).padStart(3, '0')}-${String(i).padStart(12, '0')}`,
      title: { en: `${topic} cohort ${h}-${i}` },
      keywords: { en: [topic, `kw${i % 50}`] },
      themes: rare ? [HEAL, RARE_THEME] : [HEAL],
      healthCategories: [category],
    };
  });
  await db.close();
}

/**
 * --seed-copy: hospital h's database as a copy of hospital 0's, its ids, address, DID and name rewritten in
 * SQL (publishing 10,000 datasets costs ~1 ms each: 100 hospitals would take 17 minutes). Each hospital
 * still has its own database and serves its own catalog from its own process.
 */
async function copyHospital(h: number, ports: number[]): Promise<void> {
  const dataDir = join(dir, `hospital-${h}`, 'data');
  mkdirSync(join(dataDir, 'datasets', 'diabetes-cohort'), { recursive: true });
  copyFileSync(join(dir, 'hospital-0', 'data', 'connector.db'), join(dataDir, 'connector.db'));
  const db = await openDatabase('sqlite', dataDir);
  const swaps: [string, string][] = [
    ['4000-8000-', `4000-8${String(h).padStart(3, '0')}-`],
    [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[h]}`],
    [`127.0.0.1%3A${ports[0]}`, `127.0.0.1%3A${ports[h]}`],
    ['Hospital 0', `Hospital ${h}`],
    ['hospital 0', `hospital ${h}`],
    ['cohort 0-', `cohort ${h}-`],
  ];
  const swapped = (column: string) => swaps.reduce((expr, [from, to]) => sql<string>`replace(${expr}, ${from}, ${to})`, sql<string>`${sql.ref(column)}`);
  await db.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('datasets')
      .set(Object.fromEntries(['id', 'dataset', 'dsp', 'turtle', 'jsonld', 'search_text'].map((c) => [c, swapped(c)])))
      .execute();
    await trx
      .updateTable('dataset_offers')
      .set({ offer_id: swapped('offer_id'), dataset_id: swapped('dataset_id') })
      .execute();
  });
  await db.close();
}

/** Peak resident set of a process so far (VmHWM), in MiB. */
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** CPU time a process has used so far (user + system), in seconds: wall time says little on a shared machine. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

/**
 * Runs `work` while a management API request is made every 10 ms; the slowest answer is the longest stall.
 * A request that fails (the connection reset, say) is counted and printed, and the probe goes on: one
 * failed request must not end an hour's run unreported.
 */
async function withStallProbe<T>(institute: ConnectorProcess, work: () => Promise<T>): Promise<{ value: T; seconds: number; longestStallMs: number; probeErrors: number }> {
  let done = false;
  let longest = 0;
  let probeErrors = 0;
  const started = performance.now();
  const at = (t: number) => `${((t - started) / 1000).toFixed(2)} s`;
  const probe = (async () => {
    while (!done) {
      const t0 = performance.now();
      try {
        await institute.api.get('/catalog/peers');
      } catch (error) {
        probeErrors++;
        console.log(`  probe request failed at ${at(t0)} after ${(performance.now() - t0).toFixed(0)} ms: ${(error as Error).message}`);
      }
      longest = Math.max(longest, performance.now() - t0);
      if (process.env.BENCH_STALLS && performance.now() - t0 > 40) console.log(`  stall ${(performance.now() - t0).toFixed(0)} ms at ${at(t0)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    const value = await work();
    return { value, seconds: (performance.now() - started) / 1000, longestStallMs: longest, probeErrors };
  } finally {
    done = true;
    await probe;
  }
}

type Search = { total: number; hits: { datasetId: string }[]; next?: string; facetCounts: Record<string, { value: string; count: number }[]> };

/** The facets counted by default, in a random order: the same work, but a query the institute has not counted yet. */
const COUNTED = ['theme', 'healthCategory', 'healthTheme', 'publisher', 'spatial', 'accessRights', 'provider'];
const uncounted = () =>
  `&facets=${COUNTED.map((f) => [Math.random(), f] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, f]) => f)
    .join(',')}`;

async function timeSearch(institute: ConnectorProcess, query: string, want: number): Promise<{ p50: number; p95: number; exact: boolean }> {
  const times: number[] = [];
  let exact = true;
  for (let i = 0; i < ROUNDS + 3; i++) {
    const t0 = performance.now();
    const result = await institute.api.get<Search>(`/catalog/search?${query}${uncounted()}`);
    if (i >= 3) times.push(performance.now() - t0);
    exact &&= result.total === want;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), exact };
}

/** Follows `next` through a whole result: every hit once, as many as the total. */
async function walk(institute: ConnectorProcess, query: string, want: number): Promise<boolean> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page: Search = await institute.api.get<Search>(`/catalog/search?${query}&limit=37${cursor ? `&cursor=${cursor}` : ''}`);
    for (const h of page.hits) seen.add(h.datasetId);
    cursor = page.next;
  } while (cursor);
  return seen.size === want;
}

const hospitals: ConnectorProcess[] = [];
let institute: ConnectorProcess | undefined;
try {
  // The hospitals' addresses are in their catalogs and in the institute's: a reused run keeps its ports.
  const portsFile = join(dir, 'ports.json');
  let ports: number[];
  if (reused) ports = JSON.parse(readFileSync(portsFile, 'utf8'));
  else {
    console.log(`Seeding ${HOSPITALS} hospitals × ${DATASETS} datasets…`);
    const seedStarted = performance.now();
    ports = await Promise.all(Array.from({ length: HOSPITALS + 1 }, () => freePort()));
    for (let h = 0; h < HOSPITALS; h++) await (args['seed-copy'] && h > 0 ? copyHospital(h, ports) : seedHospital(h, ports[h]!));
    writeFileSync(portsFile, JSON.stringify(ports));
    console.log(`  seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
  }
  const env = { ...process.env, DATABASE_URL: '' };
  for (let h = 0; h < HOSPITALS; h++)
    hospitals.push(
      await startConnectorProcess(
        join(dir, `hospital-${h}`),
        { name: `Hospital ${h}`, role: 'hospital', port: ports[h]!, dataDir: 'data', logLevel: 'warn', catalogCrawlIntervalSeconds: 0 },
        // --hospital-heap MiB: smaller V8 heaps, so that 100 hospital processes fit beside the institute.
        args['hospital-heap'] ? { ...env, NODE_OPTIONS: `--max-old-space-size=${args['hospital-heap']} --max-semi-space-size=1` } : env,
      ),
    );
  const peers = hospitals.map((h) => ({ did: h.did, name: h.name, dspAddress: `${h.url}/dsp/2025-1` }));
  const heapFlag = [args.heap ? `--max-old-space-size=${args.heap}` : '', process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` : '']
    .join(' ')
    .trim();
  // --database postgres://… puts the institute on PostgreSQL (an empty database); the hospitals stay on SQLite.
  institute = await startConnectorProcess(
    join(dir, 'institute'),
    {
      name: 'Institute',
      role: 'research-institute',
      port: ports[HOSPITALS]!,
      dataDir: 'data',
      logLevel: 'warn',
      catalogCrawlIntervalSeconds: 0,
      peers,
      ...(args.database ? { database: args.database } : {}),
    },
    { ...env, NODE_OPTIONS: heapFlag },
  );
  const inst = institute;
  const rssBefore = peakRssMb(inst.child.pid!);

  type Crawl = { peers: { ok: boolean; error?: string; cause?: string; datasets?: number; stats?: { written: number; notModified: number } }[] };
  type Status = {
    peers: { lastSuccessAt: string | null; lastError: string | null; lastErrorCause: string | null; datasetCount: number; lastCrawl: Crawl['peers'][0]['stats'] }[];
    crawling: boolean;
  };
  /**
   * POST /catalog/crawl answers when the crawl is over, but fetch gives up waiting for response headers after
   * 300 s: a longer crawl is followed on /catalog/peers until it ends, and its outcome read from there.
   */
  const crawl = async (): Promise<Crawl> => {
    const started = new Date().toISOString();
    const answer = inst.api.post<Crawl>('/catalog/crawl').then(
      (value) => value,
      () => undefined,
    );
    for (;;) {
      const done = await Promise.race([answer, new Promise<'pending'>((resolve) => setTimeout(resolve, 1000, 'pending'))]);
      if (done && done !== 'pending') return done;
      if (done === 'pending') continue;
      const status = await inst.api.get<Status>('/catalog/peers');
      if (status.crawling) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      return {
        peers: status.peers.map((p) => ({
          ok: p.lastError === null && (p.lastSuccessAt ?? '') >= started,
          ...(p.lastError ? { error: p.lastError } : {}),
          ...(p.lastErrorCause ? { cause: p.lastErrorCause } : {}),
          datasets: p.datasetCount,
          ...(p.lastCrawl ? { stats: p.lastCrawl } : {}),
        })),
      };
    }
  };
  const cpu0 = cpuSeconds(inst.child.pid!);
  const first = crawledBefore ? { value: { peers: [] } as Crawl, seconds: Number.NaN, longestStallMs: 0, probeErrors: 0 } : await withStallProbe(inst, crawl);
  const cpu1 = cpuSeconds(inst.child.pid!);
  const again = await withStallProbe(inst, crawl);
  const cpu2 = cpuSeconds(inst.child.pid!);
  const crawlCpu = cpu1 - cpu0;
  const recrawlCpu = cpu2 - cpu1;
  const failedPeers = first.value.peers.filter((p) => !p.ok).length + again.value.peers.filter((p) => !p.ok).length;
  for (const p of [...first.value.peers, ...again.value.peers].filter((p) => !p.ok)) console.log(`  failed: ${p.error}${p.cause ? ` (${p.cause})` : ''}`);
  const rewritten = again.value.peers.reduce((n, p) => n + (p.stats?.written ?? 0), 0);

  const searches = {
    rareTheme: await timeSearch(
      inst,
      `theme=${encodeURIComponent(RARE_THEME)}`,
      expected((s) => s.rare),
    ),
    category: await timeSearch(
      inst,
      `healthCategory=${encodeURIComponent(CATEGORIES[2]!)}`,
      expected((s) => s.category === CATEGORIES[2]),
    ),
    text: await timeSearch(
      inst,
      'q=melanoma',
      expected((s) => s.topic === 'melanoma'),
    ),
    textAndFacet: await timeSearch(
      inst,
      `q=melan&healthCategory=${encodeURIComponent(CATEGORIES[2]!)}`,
      expected((s) => s.topic === 'melanoma' && s.category === CATEGORIES[2]),
    ),
  };
  const cursorWalkExact = await walk(
    inst,
    `theme=${encodeURIComponent(RARE_THEME)}`,
    expected((s) => s.rare),
  );
  const rss = peakRssMb(inst.child.pid!);
  const hospitalRss = Math.max(...hospitals.map((h) => peakRssMb(h.child.pid!)));
  const dbMb = args.database
    ? NaN
    : ['connector.db', 'connector.db-wal'].reduce((n, f) => n + (existsSync(join(inst.dataDir, f)) ? statSync(join(inst.dataDir, f)).size : 0), 0) / 1048576;

  printTable(
    `Federated catalog: ${HOSPITALS} hospitals × ${DATASETS} datasets, one institute crawling${args.heap ? ` (heap ${args.heap} MiB)` : ''}`,
    [
      [
        'crawl',
        crawledBefore ? 'not run: --reuse' : `${first.seconds.toFixed(2)} s`,
        `institute CPU ${crawlCpu.toFixed(2)} s; longest API stall ${first.longestStallMs.toFixed(0)} ms`,
      ],
      [
        're-crawl, nothing changed',
        `${again.seconds.toFixed(2)} s`,
        `institute CPU ${recrawlCpu.toFixed(2)} s; longest API stall ${again.longestStallMs.toFixed(0)} ms; ${rewritten} entries rewritten`,
      ],
      ['institute peak RSS', `${rss.toFixed(0)} MiB`, `${rssBefore.toFixed(0)} MiB before crawling; largest hospital ${hospitalRss.toFixed(0)} MiB`],
      ...(args.database ? [] : [['institute database', `${dbMb.toFixed(0)} MiB`, `${((dbMb * 1048576) / (HOSPITALS * DATASETS) / 1024).toFixed(1)} KiB per entry`]]),
      ...Object.entries(searches).map(([name, s]) => [`search: ${name}`, `p50 ${s.p50.toFixed(1)} / p95 ${s.p95.toFixed(1)} ms`, s.exact ? 'count exact' : 'COUNT WRONG']),
      ['cursor walk through the rare theme', cursorWalkExact ? 'every hit once' : 'HITS MISSING OR REPEATED', ''],
      ['failed peers', String(failedPeers), ''],
      ['management requests failed during the crawls', String(first.probeErrors + again.probeErrors), ''],
    ],
    ['', 'figure', 'note'],
  );
  const facetP95 = Math.max(searches.rareTheme.p95, searches.category.p95);
  const textP95 = Math.max(searches.text.p95, searches.textAndFacet.p95);
  const result = {
    hospitals: HOSPITALS,
    datasets: DATASETS,
    crawlSeconds: +first.seconds.toFixed(2),
    recrawlSeconds: +again.seconds.toFixed(2),
    recrawlRatio: +(again.seconds / first.seconds).toFixed(3),
    crawlCpuSeconds: +crawlCpu.toFixed(2),
    recrawlCpuSeconds: +recrawlCpu.toFixed(2),
    recrawlRewritten: rewritten,
    peakRssMb: Math.round(rss),
    hospitalPeakRssMb: Math.round(hospitalRss),
    ...(args.database ? { database: 'postgres' } : { databaseMb: Math.round(dbMb) }),
    searchP95Ms: { facet: +facetP95.toFixed(1), text: +textP95.toFixed(1) },
    searchP50Ms: { facet: +Math.max(searches.rareTheme.p50, searches.category.p50).toFixed(1), text: +Math.max(searches.text.p50, searches.textAndFacet.p50).toFixed(1) },
    longestStallMs: Math.round(Math.max(first.longestStallMs, again.longestStallMs)),
    probeErrors: first.probeErrors + again.probeErrors,
    failedPeers,
    exact: Object.values(searches).every((s) => s.exact) && cursorWalkExact,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exitCode = result.exact && failedPeers === 0 ? 0 : 1;
} finally {
  await Promise.all([institute, ...hospitals].map((c) => c?.stop()));
  if (args.keep) console.log(`kept ${dir}`);
  else if (!reused) rmSync(dir, { recursive: true, force: true });
}
