import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startFakePeer, type FakePeer } from '../support/peer.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { createCrawler, type Peer } from '../../connector/catalog/crawler.ts';
import { federatedStore } from '../../connector/storage/federated-store.ts';
import { facetValues, searchTextOf, searchWords, summarizeDataset } from '../../catalog/federated.ts';
import { freePort } from '../../scripts/bench/load.ts';

const DSP = 'https://w3id.org/dspace/2025/1/context.jsonld';
const dataset = (id: string, title: string) => ({
  '@id': id,
  '@type': 'Dataset',
  'dct:title': [{ '@value': title, '@language': 'en' }],
  hasPolicy: [{ '@id': `${id}:offer`, '@type': 'Offer', permission: [{ action: 'use' }] }],
});
const catalog = (datasets: unknown[]) => JSON.stringify({ '@context': [DSP], '@type': 'Catalog', '@id': 'urn:catalog', dataset: datasets });
const didOf = (peer: FakePeer) => `did:web:127.0.0.1%3A${new URL(peer.url).port}`;

/**
 * A peer with a catalog of two pages. In "v1" it serves both; in "v2-broken" it serves a changed first page,
 * then fails on the second, as a peer whose database falls over mid-crawl would.
 */
async function twoPagePeer() {
  let mode: 'v1' | 'v2-broken' = 'v1';
  const peer = await startFakePeer((request) => {
    const second = request.path.includes('after=');
    if (mode === 'v2-broken' && second) return { status: 503, body: '{"@type":"CatalogError","code":"503"}' };
    const version = mode === 'v1' ? 'first version' : 'second version';
    if (second) return { status: 200, body: catalog([dataset('urn:x:3', `Registry three (${version})`), dataset('urn:x:4', `Registry four (${version})`)]) };
    const next = `${peer.url}/dsp/2025-1/catalog/request?after=urn%3Ax%3A2&limit=50`;
    return {
      status: 200,
      body: catalog([dataset('urn:x:1', `Registry one (${version})`), dataset('urn:x:2', `Registry two (${version})`)]),
      headers: { link: `<${next}>; rel="next"` },
    };
  });
  return { peer, break: () => (mode = 'v2-broken') };
}

describe('federated catalog: peers that fail, stall or vanish', () => {
  let institute: RunningConnector;
  let flaky: Awaited<ReturnType<typeof twoPagePeer>>;
  const search = async (query: string) => jsonOf(await managementFetch(institute, `/catalog/search?${query}`));

  beforeAll(async () => {
    flaky = await twoPagePeer();
    const closedPort = await freePort();
    institute = await startTestConnector({
      role: 'research-institute',
      peers: [
        { name: 'Flaky', did: didOf(flaky.peer), dspAddress: `${flaky.peer.url}/dsp/2025-1` },
        { name: 'Down', did: `did:web:127.0.0.1%3A${closedPort}`, dspAddress: `http://127.0.0.1:${closedPort}/dsp/2025-1` },
      ],
    });
  });

  it("keeps a peer's previous entries when its catalog fails mid-crawl, and records the error", async () => {
    const first = (await jsonOf(await managementFetch(institute, '/catalog/crawl', { method: 'POST' }))).peers;
    expect(first.find((p: any) => p.did === didOf(flaky.peer))).toMatchObject({ ok: true, datasets: 4 });
    flaky.break();
    const requestsBefore = flaky.peer.requests.length;
    const second = (await jsonOf(await managementFetch(institute, '/catalog/crawl', { method: 'POST' }))).peers;
    expect(second.find((p: any) => p.did === didOf(flaky.peer))).toMatchObject({ ok: false, error: expect.stringMatching(/HTTP 503/) });
    // The first page once, the failing second page three times (retried with back-off).
    expect(flaky.peer.requests.length - requestsBefore).toBe(4);
    const hits = (await search(`provider=${encodeURIComponent(didOf(flaky.peer))}`)).hits;
    expect(hits.map((h: any) => h.title)).toEqual([
      'Registry four (first version)',
      'Registry one (first version)',
      'Registry three (first version)',
      'Registry two (first version)',
    ]);
    expect((await search('q=second+version')).total).toBe(0);
    const status = (await jsonOf(await managementFetch(institute, '/catalog/peers'))).peers.find((p: any) => p.name === 'Flaky');
    expect(status).toMatchObject({ datasetCount: 4, lastError: expect.stringMatching(/HTTP 503/), lastCrawl: { pages: 1 } });
    expect(status.lastSuccessAt).not.toBeNull();
  });

  it('says why a peer could not be reached, with the cause (the egress guard names it)', async () => {
    const status = (await jsonOf(await managementFetch(institute, '/catalog/peers'))).peers.find((p: any) => p.name === 'Down');
    expect(`${status.lastError} ${status.lastErrorCause ?? ''}`).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a peer at its deadline while the others are crawled', async () => {
    const slow = await startFakePeer(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: catalog([dataset('urn:slow:1', 'Slow')]) }), 5000)));
    const quick = await startFakePeer(() => ({ status: 200, body: catalog([dataset('urn:quick:1', 'Quick registry')]) }));
    const crawler = createCrawler(institute.ctx, { peerDeadlineMs: 600, concurrency: 1 });
    const started = Date.now();
    const [late, fine] = await crawler.crawlPeers([
      { did: didOf(slow), dspAddress: `${slow.url}/dsp/2025-1` },
      { did: didOf(quick), dspAddress: `${quick.url}/dsp/2025-1` },
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(late).toMatchObject({ ok: false, error: expect.stringMatching(/deadline|abort|timeout|in time/i) });
    expect(fine).toMatchObject({ ok: true, datasets: 1 });
    expect((await search('q=quick')).hits.map((h: any) => h.datasetId)).toEqual(['urn:quick:1']);
  });

  it('never starts a scheduled crawl while one is under way', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = await startFakePeer(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 300));
      inFlight--;
      return { status: 200, body: catalog([dataset('urn:slow:2', 'Slowly served registry')]) };
    });
    const scheduled = await startTestConnector({ role: 'research-institute', catalogCrawlIntervalSeconds: 0, peers: [{ did: didOf(slow), dspAddress: `${slow.url}/dsp/2025-1` }] });
    createCrawler(scheduled.ctx).schedule(50);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // A crawl takes 300 ms and the next starts 50 ms after it ended: at most 5 in 1.5 s, one at a time.
    expect(slow.requests.length).toBeGreaterThanOrEqual(2);
    expect(slow.requests.length).toBeLessThanOrEqual(5);
    expect(most).toBe(1);
  });

  it('refuses a cursor it did not give', async () => {
    const response = await managementFetch(institute, '/catalog/search?cursor=bm90LWEtY3Vyc29y');
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({ code: 'invalid_query', message: expect.stringMatching(/cursor/) });
  });

  it('forgets a peer that left the dataspace: its entries leave the search, the others stay', async () => {
    const leaving = await startFakePeer(() => ({ status: 200, body: catalog([dataset('urn:leaving:1', 'Departing registry')]) }));
    const staying = await startFakePeer(() => ({ status: 200, body: catalog([dataset('urn:staying:1', 'Remaining registry')]) }));
    const peerOf = (p: FakePeer): Peer => ({ did: didOf(p), dspAddress: `${p.url}/dsp/2025-1` });
    const crawlWith = (peers: Peer[]) => createCrawler({ ...institute.ctx, config: { ...institute.ctx.config, peers } }).crawlAll();
    await crawlWith([peerOf(leaving), peerOf(staying)]);
    expect((await search('q=registry&limit=100')).hits.map((h: any) => h.datasetId)).toEqual(expect.arrayContaining(['urn:leaving:1', 'urn:staying:1']));
    await crawlWith([peerOf(staying)]);
    const after = await search('q=registry&limit=100');
    expect(after.hits.map((h: any) => h.datasetId)).toEqual(['urn:staying:1']);
    expect(after.facetCounts.provider).toEqual([{ value: didOf(staying), count: 1 }]);
    const peers = (await jsonOf(await managementFetch(institute, '/catalog/peers'))).peers.map((p: any) => p.did);
    expect(peers).toEqual([didOf(staying)]);
  });

  it('keeps a bounded number of opened datasets, the oldest fetched leaving first', async () => {
    const store = federatedStore(institute.ctx.database.db, { documentsKept: 2 });
    for (const id of ['urn:doc:1', 'urn:doc:2', 'urn:doc:3']) {
      await store.cacheDocument('did:web:example', id, 'digest', { '@id': id });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await store.cachedDocument('did:web:example', 'urn:doc:1', 'digest')).toBeUndefined();
    expect(await store.cachedDocument('did:web:example', 'urn:doc:3', 'digest')).toEqual({ '@id': 'urn:doc:3' });
    expect(await store.cachedDocument('did:web:example', 'urn:doc:3', 'another digest')).toBeUndefined();
  });

  it("finds a peer's entries by the text of its visible generation only, while a crawl stages the next", async () => {
    const store = federatedStore(institute.ctx.database.db);
    const peer = { did: 'did:web:staging.example', dspAddress: 'https://staging.example/dsp' };
    const entry = (id: string, title: string) => {
      const summary = summarizeDataset(dataset(id, title))!;
      return { datasetId: id, digest: `${id} ${title}`, summary, searchText: searchTextOf(summary), facetValues: facetValues(summary, peer.did) };
    };
    const crawlOnce = async (entries: ReturnType<typeof entry>[], beforeFinish?: () => Promise<void>) => {
      const { generation } = await store.beginCrawl(peer);
      const written = await store.stagePage(peer.did, generation, entries);
      await beforeFinish?.();
      await store.finishCrawl(peer, generation, new Set(entries.map((e) => e.datasetId)), [], { pages: 1, notModified: 0, written, ms: 0 });
    };
    const titles = async (q: string) => (await store.search({ words: searchWords(q), facets: { provider: peer.did }, limit: 10, counts: ['provider'] })).hits.map((h) => h.title);
    await crawlOnce([entry('urn:s:1', 'Quartz cohort'), entry('urn:s:2', 'Basalt cohort')]);
    expect(await titles('cohort')).toEqual(['Basalt cohort', 'Quartz cohort']);
    await crawlOnce([entry('urn:s:1', 'Granite cohort'), entry('urn:s:2', 'Basalt cohort')], async () => {
      expect(await titles('granite')).toEqual([]);
      expect(await titles('quartz')).toEqual(['Quartz cohort']);
    });
    expect(await titles('quartz')).toEqual([]);
    expect(await titles('granite cohort')).toEqual(['Granite cohort']);
    expect(await titles('cohort')).toEqual(['Basalt cohort', 'Granite cohort']);
    await store.removePeer(peer.did);
  });
});
