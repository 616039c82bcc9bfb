import type { ConnectorContext } from '../context.ts';
import { MEMBER_REGISTRY_SERVICE } from '../identity/did-web.ts';
import { federatedStore } from '../storage/catalog-store.ts';
import { summarizeDataset } from '../../catalog/federated.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { egressFor } from '../egress/connector-egress.ts';

export interface Peer {
  did: string;
  name?: string;
  dspAddress: string;
}

export interface CrawlResult {
  did: string;
  ok: boolean;
  datasets?: number;
  error?: string;
}

const MAX_PAGES = 200;
const MAX_PAGE_BYTES = 20 * 1024 * 1024;

/**
 * The federated catalog's crawler: asks every peer for its whole DSP catalog (following Link rel="next"),
 * and replaces that peer's entries only when the whole crawl of it succeeded. A peer that is down or answers
 * garbage is recorded with its error; the others are crawled all the same.
 */
export function createCrawler(ctx: ConnectorContext) {
  const store = federatedStore(ctx.database.db);

  /** Peers from the configuration, plus the members every trusted authority lists in its registry. */
  async function peersToCrawl(): Promise<Peer[]> {
    const peers = new Map<string, Peer>(ctx.config.peers.map((p) => [p.did, { did: p.did, dspAddress: p.dspAddress, ...(p.name ? { name: p.name } : {}) }]));
    for (const authority of new Set(ctx.config.trustedIssuers.map((t) => t.did))) {
      try {
        const doc = await ctx.didResolver.resolve(authority);
        const registry = (doc.service ?? []).find((s) => s.type === MEMBER_REGISTRY_SERVICE)?.serviceEndpoint;
        if (typeof registry !== 'string') continue;
        const response = await egressFor(ctx.config)(`${registry}/members`, { signal: AbortSignal.timeout(5000), redirect: 'error' });
        const { members } = (await response.json()) as { members?: { did: string; name: string; dspAddress: string }[] };
        for (const m of members ?? []) if (m.did !== ctx.did && !peers.has(m.did)) peers.set(m.did, { did: m.did, name: m.name, dspAddress: m.dspAddress });
      } catch (error) {
        ctx.logger.warn('member registry unavailable', { authority, error: (error as Error).message });
      }
    }
    return [...peers.values()];
  }

  async function fetchCatalog(peer: Peer): Promise<{ datasets: unknown[] }> {
    const datasets: unknown[] = [];
    let url: string | undefined = `${peer.dspAddress.replace(/\/+$/, '')}/catalog/request?limit=500`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await ctx.dspFetch({ url, audienceDid: peer.did, body: { '@context': [CONTEXT.dspace], '@type': 'CatalogRequestMessage' }, timeoutMs: 20_000 });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
      if (text.length > MAX_PAGE_BYTES) throw new Error('catalog page too large');
      let body: { '@type'?: unknown; dataset?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error('the answer is not JSON');
      }
      if (body['@type'] !== 'Catalog') throw new Error('the answer is not a DSP Catalog');
      if (body.dataset !== undefined && !Array.isArray(body.dataset)) throw new Error('Catalog.dataset is not a list');
      datasets.push(...((body.dataset as unknown[]) ?? []));
      url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    }
    return { datasets };
  }

  async function crawlPeer(peer: Peer): Promise<CrawlResult> {
    try {
      const { datasets } = await fetchCatalog(peer);
      const entries = datasets.flatMap((node) => {
        const summary = summarizeDataset(node);
        if (!summary) return [];
        const searchText = [summary.title, summary.description, ...summary.keywords].join(' ').toLowerCase();
        return [{ datasetId: summary.id, title: summary.title, searchText, facets: summary.facets, dataset: node }];
      });
      await store.replaceProvider(peer, entries);
      return { did: peer.did, ok: true, datasets: entries.length };
    } catch (error) {
      const message = (error as Error).message;
      await store.recordFailure(peer, message);
      ctx.logger.warn('catalog crawl failed', { peer: peer.did, error: message });
      return { did: peer.did, ok: false, error: message };
    }
  }

  let running: Promise<CrawlResult[]> | undefined;
  /** Crawls every peer (concurrently); a crawl already under way is joined, not duplicated. */
  function crawlAll(): Promise<CrawlResult[]> {
    running ??= (async () => {
      try {
        return await Promise.all((await peersToCrawl()).map(crawlPeer));
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /** Crawls on a schedule until shutdown; intervalMs 0 disables it. */
  function schedule(intervalMs: number): void {
    if (intervalMs <= 0) return;
    const timer = setInterval(() => void crawlAll().catch((error) => ctx.logger.error('catalog crawl failed', { error })), intervalMs);
    timer.unref();
    ctx.onShutdown(() => clearInterval(timer));
  }

  return { store, crawlAll, schedule, peersToCrawl };
}

export type Crawler = ReturnType<typeof createCrawler>;
