import { createHash } from 'node:crypto';
import type { ConnectorContext } from '../context.ts';
import { MEMBER_REGISTRY_MEDIA_TYPE, MEMBER_REGISTRY_SERVICE } from '../identity/did-web.ts';
import { openSignedDocument } from '../../contracts/credentials/jwt-credentials.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import { federatedStore, type CrawledEntry, type CrawlStats, type PageRecord, type PeerRef } from '../storage/federated-store.ts';
import { facetValues, searchTextOf, summarizeDataset } from '../../catalog/federated.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { egressFor } from '../egress/connector-egress.ts';
import { describeError, fetchCatalogPage } from './catalog-page-client.ts';

/** A registry of a few thousand members, signed. */
const MAX_REGISTRY_BYTES = 4 * 1024 * 1024;

export type Peer = PeerRef;

export interface CrawlResult {
  did: string;
  ok: boolean;
  datasets?: number;
  error?: string;
  cause?: string;
  stats?: CrawlStats;
}

export interface CrawlerOptions {
  /** Peers crawled at the same time (default 4): memory is bounded by this many pages in flight. */
  concurrency?: number;
  /** How long one peer's whole crawl may take before it is abandoned, its old entries kept (default 10 min). */
  peerDeadlineMs?: number;
  /** Datasets asked for per DSP catalog page (default 100); they are written WRITE_BATCH per transaction. */
  pageSize?: number;
  /** Attempts per page before the peer's crawl fails (default 3), with back-off between them. */
  attempts?: number;
}

const MAX_PAGES = 2000;
/** Datasets per write transaction: a few milliseconds each, so a request never waits long behind one. */
const WRITE_BATCH = 50;
const digestOf = (node: unknown) => createHash('sha256').update(JSON.stringify(node)).digest('base64url');

/**
 * Runs crawl writes one at a time, each after the event loop had a turn: a request arriving during a
 * crawl then waits behind at most one page's transaction, however many peers are being crawled.
 */
function oneWriterAtATime() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(write: () => Promise<T>): Promise<T> => {
    const result = last.then(() => new Promise((resolve) => setImmediate(resolve))).then(write);
    last = result.catch(() => {});
    return result;
  };
}

class CrawlError extends Error {
  override name = 'CrawlError';
}

/**
 * The federated catalog's crawler: asks a few peers at a time for their whole DSP catalog (following
 * Link rel="next", with If-None-Match where a page had an ETag), writes every page as it arrives into the
 * peer's next generation and makes that generation current only once the whole catalog was read. A peer that
 * is down, slow or answers garbage keeps its previous entries and has its error (and its cause) recorded.
 */
export function createCrawler(ctx: ConnectorContext, options: CrawlerOptions = {}) {
  const store = federatedStore(ctx.database.db);
  const concurrency = options.concurrency ?? 4;
  const peerDeadlineMs = options.peerDeadlineMs ?? 600_000;
  const pageSize = options.pageSize ?? 100;
  const attempts = options.attempts ?? 3;
  const write = oneWriterAtATime();

  /**
   * Peers from the configuration, plus the members every trusted authority lists in its registry;
   * `complete` is false when a registry could not be read (its members are then missing, not gone).
   */
  async function peersToCrawl(): Promise<{ peers: Peer[]; complete: boolean }> {
    const peers = new Map<string, Peer>(ctx.config.peers.map((p) => [p.did, { did: p.did, dspAddress: p.dspAddress, ...(p.name ? { name: p.name } : {}) }]));
    let complete = true;
    for (const authority of new Set(ctx.config.trustedIssuers.map((t) => t.did))) {
      try {
        const doc = await ctx.didResolver.resolve(authority);
        const registry = (doc.service ?? []).find((s) => s.type === MEMBER_REGISTRY_SERVICE)?.serviceEndpoint;
        if (typeof registry !== 'string') continue;
        const response = await egressFor(ctx.config)(`${registry}/members`, {
          headers: { accept: MEMBER_REGISTRY_MEDIA_TYPE },
          signal: AbortSignal.timeout(5000),
          redirect: 'error',
        });
        // Only the registry the authority signed counts: a plain JSON list could come from anyone on the path.
        const opened = await openSignedDocument((await readBoundedText(response, MAX_REGISTRY_BYTES)).trim(), authority, ctx.documentLoader);
        if (!opened.verified) throw new Error(`the member registry is not signed by its authority: ${opened.message}`);
        const members = opened.claims.members as { did: string; name: string; dspAddress: string }[] | undefined;
        for (const m of Array.isArray(members) ? members : []) if (m.did !== ctx.did && !peers.has(m.did)) peers.set(m.did, { did: m.did, name: m.name, dspAddress: m.dspAddress });
      } catch (error) {
        complete = false;
        ctx.logger.warn('member registry unavailable', { authority, error: describeError(error).message });
      }
    }
    return { peers: [...peers.values()], complete };
  }

  /** Forgets the peers that are no longer configured nor listed by any registry: their entries leave the search. */
  async function removeDeparted(peers: Peer[]): Promise<string[]> {
    const listed = new Set(peers.map((p) => p.did));
    const departed = (await store.peerDids()).filter((did) => !listed.has(did));
    for (const did of departed) {
      await write(() => store.removePeer(did));
      ctx.logger.info('peer left the dataspace: its catalog entries are removed', { peer: did });
    }
    if (departed.length) await store.refreshCounts();
    return departed;
  }

  /**
   * A page's datasets: the ids of all it lists, the entries of those not seen earlier in this crawl. Yields to
   * the event loop every few datasets, so requests are answered between them.
   */
  async function readPage(peer: Peer, datasets: unknown[], seen: Set<string>): Promise<{ ids: string[]; entries: CrawledEntry[] }> {
    const ids: string[] = [];
    const entries: CrawledEntry[] = [];
    for (const [i, node] of datasets.entries()) {
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      const summary = summarizeDataset(node);
      if (!summary) continue;
      ids.push(summary.id);
      if (seen.has(summary.id)) continue;
      seen.add(summary.id);
      entries.push({ datasetId: summary.id, digest: digestOf(node), summary, searchText: searchTextOf(summary), facetValues: facetValues(summary, peer.did) });
    }
    return { ids, entries };
  }

  async function crawlPeer(peer: Peer): Promise<CrawlResult> {
    const started = Date.now();
    const deadline = started + peerDeadlineMs;
    const stats = { pages: 0, notModified: 0, written: 0, ms: 0 };
    let generation: number | undefined;
    try {
      const crawl = await write(() => store.beginCrawl(peer));
      generation = crawl.generation;
      const seen = new Set<string>();
      const pages: PageRecord[] = [];
      let url: string | null = `${peer.dspAddress.replace(/\/+$/, '')}/catalog/request?limit=${pageSize}`;
      while (url) {
        if (stats.pages >= MAX_PAGES) throw new CrawlError(`the catalog has more than ${MAX_PAGES} pages`);
        const known = crawl.pages.get(url);
        const page = await fetchCatalogPage(ctx, {
          url,
          peerDid: peer.did,
          body: { '@context': [CONTEXT.dspace], '@type': 'CatalogRequestMessage' },
          ...(known ? { etag: known.etag } : {}),
          deadline,
          attempts,
        });
        stats.pages++;
        if (page.notModified && known) {
          stats.notModified++;
          for (const id of known.datasetIds) seen.add(id);
          pages.push(known);
          url = page.next ?? known.next;
          continue;
        }
        const { ids, entries } = await readPage(peer, page.datasets, seen);
        for (let i = 0; i < entries.length; i += WRITE_BATCH) stats.written += await write(() => store.stagePage(peer.did, crawl.generation, entries.slice(i, i + WRITE_BATCH)));
        if (page.etag) pages.push({ url, etag: page.etag, next: page.next, datasetIds: ids });
        url = page.next;
      }
      const result = await write(() => store.finishCrawl(peer, crawl.generation, seen, pages, { ...stats, ms: Date.now() - started }));
      // Read back now what the peer's new generation holds, so the first search after the crawl is not the one paying for it.
      if (result.written + result.retired > 0) await store.refreshCounts();
      return { did: peer.did, ok: true, datasets: result.datasets, stats: result };
    } catch (error) {
      const { message, cause } = describeError(error);
      const final = { ...stats, ms: Date.now() - started };
      if (generation !== undefined) await write(() => store.abortCrawl(peer, generation!, message, cause, final));
      else await write(() => store.recordFailure(peer, message, cause));
      ctx.logger.warn('catalog crawl failed', { peer: peer.did, error: message, ...(cause ? { cause } : {}) });
      return { did: peer.did, ok: false, error: message, ...(cause ? { cause } : {}), stats: { ...final, retired: 0, datasets: 0 } };
    }
  }

  /** Crawls `peers`, `concurrency` at a time; results in the peers' order. */
  async function crawlPeers(peers: Peer[]): Promise<CrawlResult[]> {
    const results: CrawlResult[] = new Array(peers.length);
    let next = 0;
    const worker = async () => {
      while (next < peers.length) {
        const i = next++;
        results[i] = await crawlPeer(peers[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, peers.length) }, worker));
    return results;
  }

  let running: Promise<CrawlResult[]> | undefined;
  /** Crawls every peer; a crawl already under way is joined, not duplicated. */
  function crawlAll(): Promise<CrawlResult[]> {
    running ??= (async () => {
      try {
        const { peers, complete } = await peersToCrawl();
        const results = await crawlPeers(peers);
        // A registry that did not answer says nothing about who left: nobody is removed then.
        if (complete) await removeDeparted(peers);
        return results;
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /** Crawls on a schedule until shutdown, the next one `intervalMs` after the last ended (never two at once); 0 disables it. */
  function schedule(intervalMs: number): void {
    if (intervalMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = async () => {
      try {
        if (!running) await crawlAll();
      } catch (error) {
        ctx.logger.error('catalog crawl failed', { error });
      }
      if (!stopped) timer = setTimeout(tick, intervalMs).unref();
    };
    timer = setTimeout(tick, intervalMs).unref();
    ctx.onShutdown(() => {
      stopped = true;
      clearTimeout(timer);
    });
  }

  return { store, crawlAll, crawlPeers, schedule, peersToCrawl, isCrawling: () => running !== undefined };
}

export type Crawler = ReturnType<typeof createCrawler>;
