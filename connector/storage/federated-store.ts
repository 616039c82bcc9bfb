import type { Kysely, Transaction, Updateable } from 'kysely';
import type { Database } from './schema.ts';
import { textSearchFor } from './federated-text-search.ts';
import type { FederatedPeersTable } from './federated-tables.ts';
import { facetKey, type DatasetSummary, type Facet } from '../../catalog/federated.ts';
import { searchIndex, type FacetCounts } from './federated-search-index.ts';
import { chunks, entryOf, FACET_LISTS, HIT_COLUMNS, visibleEntries, type Row } from './federated-rows.ts';
import type { CrawledEntry, CrawlStats, FederatedEntry, PageRecord, PeerRef, PeerStatus, SearchRequest, SearchResult } from './federated-types.ts';

export type { CrawledEntry, CrawlStats, FederatedEntry, PageRecord, PeerRef, PeerStatus, SearchRequest, SearchResult } from './federated-types.ts';

const BATCH = 200;
const COUNTS_CACHED = 200;
/** Full datasets kept of those users opened (the oldest fetched go first): each may be large, and a provider has it anyway. */
const DOCUMENTS_KEPT = 1000;

export interface FederatedStoreOptions {
  /** Opened datasets cached (default 1000). */
  documentsKept?: number;
}
/**
 * The federated catalog: peers' datasets as last crawled, and how each peer's last crawl went. A crawl
 * writes generation current+1 beside the visible one, page by page in short transactions; finishing it
 * makes it current in one row update, aborting it drops it. Unchanged datasets are never rewritten.
 */
export function federatedStore(db: Kysely<Database>, options: FederatedStoreOptions = {}) {
  const documentsKept = options.documentsKept ?? DOCUMENTS_KEPT;
  const text = textSearchFor(db);

  /** Deletes a provider's entries of some generations, BATCH rows per statement. */
  async function deleteEntries(providerDid: string, column: 'from_gen' | 'to_gen', op: '>' | '>=' | '<=', generation: number): Promise<void> {
    for (;;) {
      const doomed = db.selectFrom('federated_entries').select('entry_id').where('provider_did', '=', providerDid).where(column, op, generation).limit(BATCH);
      const result = await db.deleteFrom('federated_entries').where('entry_id', 'in', doomed).executeTakeFirst();
      if (Number(result.numDeletedRows) < BATCH) return;
    }
  }

  /** Makes a provider's entries that generations from `generation` on superseded current again, BATCH rows per statement. */
  async function restoreEntries(providerDid: string, generation: number): Promise<void> {
    for (;;) {
      const superseded = db.selectFrom('federated_entries').select('entry_id').where('provider_did', '=', providerDid).where('to_gen', '>=', generation).limit(BATCH);
      const result = await db.updateTable('federated_entries').set({ to_gen: null }).where('entry_id', 'in', superseded).executeTakeFirst();
      if (Number(result.numUpdatedRows) < BATCH) return;
    }
  }

  async function latest(providerDid: string, datasetIds: string[]) {
    const rows = datasetIds.length
      ? await db
          .selectFrom('federated_entries')
          .select(['entry_id', 'dataset_id', 'digest'])
          .where('provider_did', '=', providerDid)
          .where('to_gen', 'is', null)
          .where('dataset_id', 'in', datasetIds)
          .execute()
      : [];
    return new Map(rows.map((r) => [r.dataset_id, r]));
  }

  async function insertEntries(trx: Transaction<Database>, providerDid: string, generation: number, entries: CrawledEntry[], crawledAt: string): Promise<void> {
    for (const part of chunks(entries, 100)) {
      const values = part.map(({ datasetId, digest, summary, searchText }) => ({
        provider_did: providerDid,
        dataset_id: datasetId,
        from_gen: generation,
        to_gen: null,
        digest,
        title: summary.title,
        description: summary.description,
        keywords: JSON.stringify(summary.keywords),
        offers: JSON.stringify(summary.offers),
        search_text: searchText,
        crawled_at: crawledAt,
      }));
      const inserted = await trx.insertInto('federated_entries').values(values).returning(['entry_id', 'dataset_id']).execute();
      const idOf = new Map(inserted.map((r) => [r.dataset_id, r.entry_id]));
      const facets = part.flatMap((e) => e.facetValues.map(({ facet, value }) => ({ entry_id: idOf.get(e.datasetId)!, facet, value, match_key: facetKey(value) })));
      for (const rows of chunks(facets, BATCH)) await trx.insertInto('federated_facets').values(rows).execute();
    }
  }

  /** Hits with their facets, read from the facet rows (one query for the whole page). */
  async function entriesOf(rows: Row[]): Promise<FederatedEntry[]> {
    const ids = rows.map((r) => Number(r.entry_id));
    const facetRows = ids.length
      ? await db.selectFrom('federated_facets').select(['entry_id', 'facet', 'value']).where('entry_id', 'in', ids).orderBy('entry_id').orderBy('facet').orderBy('value').execute()
      : [];
    const byEntry = new Map(
      ids.map((id) => [id, { themes: [], healthCategories: [], healthThemes: [], publishers: [], spatial: [], accessRights: [] } as DatasetSummary['facets']]),
    );
    for (const f of facetRows) {
      const list = FACET_LISTS[f.facet as Facet];
      if (list) byEntry.get(Number(f.entry_id))?.[list].push(f.value);
    }
    return rows.map((r) => entryOf(r, byEntry.get(Number(r.entry_id))!));
  }

  /**
   * Counts are kept per query until a peer's generation changes: what is visible changes only then, so a
   * kept count is exact. They come from the in-memory facet index, in step with the visible generations.
   */
  const index = searchIndex(db);
  const countsCache = new Map<string, { version: string } & FacetCounts>();
  /** Which generations are visible: a version that changes whenever what search sees does. */
  async function catalogState() {
    const peers = await db.selectFrom('federated_peers').select(['did', 'current_gen', 'dataset_count']).orderBy('did').execute();
    return {
      version: peers.map((p) => `${p.did}@${p.current_gen}`).join(' '),
      generations: peers.filter((p) => Number(p.current_gen) >= 0).map((p) => ({ did: p.did, generation: Number(p.current_gen) })),
    };
  }
  function remember<T>(cache: Map<string, T>, key: string, value: T): void {
    if (cache.size >= COUNTS_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }

  /** A crawl attempt on `peer` at `now`: a first attempt inserts its row, a later one applies `update`. */
  async function recordAttempt(
    peer: PeerRef,
    now: string,
    update: Updateable<FederatedPeersTable>,
    failure: { last_error: string | null; last_error_cause: string | null } = { last_error: null, last_error_cause: null },
  ): Promise<void> {
    await db
      .insertInto('federated_peers')
      .values({ did: peer.did, name: peer.name ?? null, dsp_address: peer.dspAddress, last_attempt_at: now, last_success_at: null, ...failure, last_crawl: null, dataset_count: 0 })
      .onConflict((oc) => oc.column('did').doUpdateSet(update))
      .execute();
  }

  return {
    /** Starts a crawl of `peer`: drops what an interrupted crawl left, and gives the generation to write and the pages' ETags. */
    async beginCrawl(peer: PeerRef): Promise<{ generation: number; pages: Map<string, PageRecord> }> {
      const now = new Date().toISOString();
      await recordAttempt(peer, now, { name: peer.name ?? null, dsp_address: peer.dspAddress, last_attempt_at: now });
      const { current_gen: current } = await db.selectFrom('federated_peers').select('current_gen').where('did', '=', peer.did).executeTakeFirstOrThrow();
      await deleteEntries(peer.did, 'from_gen', '>', current);
      await restoreEntries(peer.did, Number(current) + 1);
      const pages = await db.selectFrom('federated_pages').select(['url', 'etag', 'next_url', 'dataset_ids']).where('provider_did', '=', peer.did).execute();
      return { generation: Number(current) + 1, pages: new Map(pages.map((p) => [p.url, { url: p.url, etag: p.etag, next: p.next_url, datasetIds: JSON.parse(p.dataset_ids) }])) };
    },

    /** Writes one catalog page into `generation`, in one short transaction: changed and new datasets only. */
    async stagePage(providerDid: string, generation: number, entries: CrawledEntry[]): Promise<number> {
      const known = await latest(
        providerDid,
        entries.map((e) => e.datasetId),
      );
      const changed = entries.filter((e) => known.get(e.datasetId)?.digest !== e.digest);
      if (changed.length === 0) return 0;
      const superseded = changed.flatMap((e) => {
        const k = known.get(e.datasetId);
        return k ? [k.entry_id] : [];
      });
      const now = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        if (superseded.length) await trx.updateTable('federated_entries').set({ to_gen: generation }).where('entry_id', 'in', superseded).execute();
        await insertEntries(trx, providerDid, generation, changed, now);
      });
      return changed.length;
    },

    /**
     * Completes a crawl that read the whole catalog: retires entries the peer no longer publishes, makes
     * `generation` current (one row, atomically) when anything changed, and garbage-collects the old rows.
     */
    async finishCrawl(peer: PeerRef, generation: number, seen: Set<string>, pages: PageRecord[], stats: Omit<CrawlStats, 'retired' | 'datasets'>): Promise<CrawlStats> {
      let retired = 0;
      // In dataset id order, along the index of the peer's own rows (not across every peer's).
      for (let after = ''; ; ) {
        const rows = await db
          .selectFrom('federated_entries')
          .select(['entry_id', 'dataset_id'])
          .where('provider_did', '=', peer.did)
          .where('dataset_id', '>', after)
          .where('to_gen', 'is', null)
          .where('from_gen', '<', generation)
          .orderBy('dataset_id')
          .limit(BATCH * 2)
          .execute();
        if (rows.length === 0) break;
        after = rows.at(-1)!.dataset_id;
        const gone = rows.filter((r) => !seen.has(r.dataset_id)).map((r) => r.entry_id);
        if (gone.length) await db.updateTable('federated_entries').set({ to_gen: generation }).where('entry_id', 'in', gone).execute();
        retired += gone.length;
      }
      const changed = stats.written + retired > 0;
      const result: CrawlStats = { ...stats, retired, datasets: seen.size };
      const now = new Date().toISOString();
      await db.transaction().execute(async (trx) => {
        const status = {
          name: peer.name ?? null,
          dsp_address: peer.dspAddress,
          last_success_at: now,
          last_error: null,
          last_error_cause: null,
          last_crawl: JSON.stringify(result),
          dataset_count: seen.size,
        };
        await trx
          .updateTable('federated_peers')
          .set(changed ? { ...status, current_gen: generation } : status)
          .where('did', '=', peer.did)
          .execute();
        if (stats.notModified === stats.pages) return;
        await trx.deleteFrom('federated_pages').where('provider_did', '=', peer.did).execute();
        for (const part of chunks(pages, 50))
          await trx
            .insertInto('federated_pages')
            .values(part.map((p) => ({ provider_did: peer.did, url: p.url, etag: p.etag, next_url: p.next, dataset_ids: JSON.stringify(p.datasetIds) })))
            .execute();
      });
      if (changed) await deleteEntries(peer.did, 'to_gen', '<=', generation);
      return result;
    },

    /** Drops what a failed crawl wrote: the peer's previous entries stay as they were. */
    async abortCrawl(peer: PeerRef, generation: number, error: string, cause: string | undefined, stats: Omit<CrawlStats, 'retired' | 'datasets'>): Promise<void> {
      await deleteEntries(peer.did, 'from_gen', '>=', generation);
      await restoreEntries(peer.did, generation);
      await db
        .updateTable('federated_peers')
        .set({ last_error: error, last_error_cause: cause ?? null, last_crawl: JSON.stringify({ ...stats, retired: 0, datasets: 0 }) })
        .where('did', '=', peer.did)
        .execute();
    },

    /** Records a peer that could not be crawled at all. */
    async recordFailure(peer: PeerRef, error: string, cause?: string): Promise<void> {
      const now = new Date().toISOString();
      const failure = { last_error: error, last_error_cause: cause ?? null };
      await recordAttempt(peer, now, { last_attempt_at: now, ...failure, dsp_address: peer.dspAddress }, failure);
    },

    async peers(): Promise<PeerStatus[]> {
      const rows = await db.selectFrom('federated_peers').selectAll().orderBy('did').execute();
      return rows.map((r) => ({
        did: r.did,
        name: r.name,
        dspAddress: r.dsp_address,
        lastAttemptAt: r.last_attempt_at,
        lastSuccessAt: r.last_success_at,
        lastError: r.last_error,
        lastErrorCause: r.last_error_cause,
        lastCrawl: r.last_crawl ? JSON.parse(r.last_crawl) : null,
        datasetCount: Number(r.dataset_count),
      }));
    },

    /** Brings the in-memory facet counts in step with the visible generations (else the next search does). */
    async refreshCounts(): Promise<void> {
      await index.sync((await catalogState()).generations);
    },

    /** The visible entries of one dataset (one per provider offering it). */
    async find(datasetId: string, providerDid?: string): Promise<FederatedEntry[]> {
      let query = visibleEntries(db).select(HIT_COLUMNS).where('federated_entries.dataset_id', '=', datasetId);
      if (providerDid) query = query.where('federated_entries.provider_did', '=', providerDid);
      return entriesOf(await query.execute());
    },

    /** Hits in (title, entry) order after the cursor; facets, text, order and limit all applied in SQL. */
    async search(request: SearchRequest): Promise<SearchResult> {
      const catalog = await catalogState();
      const segments = await index.sync(catalog.generations);
      const { words } = request;
      const filters = Object.entries(request.facets).flatMap(([facet, value]) => (value === undefined ? [] : [{ facet, key: facetKey(value) }]));
      const key = JSON.stringify([request.words, request.facets, request.counts]);
      const cached = request.counts && countsCache.get(key);
      const counting = request.counts && cached?.version !== catalog.version ? request.counts : undefined;
      const constraints = { facets: filters, ...(words.length ? { textIds: await text.matchingIds(db, words) } : {}) };
      const found = index.hits(segments, constraints, { limit: request.limit, ...(request.after ? { after: request.after } : {}) }, counting);
      const byId = new Map(
        (found.ids.length ? await visibleEntries(db).select(HIT_COLUMNS).where('federated_entries.entry_id', 'in', found.ids).execute() : []).map((r) => [Number(r.entry_id), r]),
      );
      const rows = found.ids.flatMap((id) => byId.get(id) ?? []);
      const shown = rows.slice(0, request.limit);
      const last = shown.at(-1);
      const result: SearchResult = {
        hits: await entriesOf(shown),
        ...(found.ids.length > request.limit && last ? { after: { title: last.title, entryId: Number(last.entry_id) } } : {}),
      };
      if (!request.counts) return result;
      let counted = cached && cached.version === catalog.version ? cached : undefined;
      if (!counted) {
        counted = { version: catalog.version, total: found.total ?? 0, facetCounts: found.facetCounts ?? {} };
        remember(countsCache, key, counted);
      }
      return { ...result, total: counted.total, facetCounts: counted.facetCounts };
    },

    /** The full DSP dataset fetched before, while its digest is still the crawled one. */
    async cachedDocument(providerDid: string, datasetId: string, digest: string): Promise<unknown | undefined> {
      const row = await db
        .selectFrom('federated_documents')
        .select('document')
        .where('provider_did', '=', providerDid)
        .where('dataset_id', '=', datasetId)
        .where('digest', '=', digest)
        .executeTakeFirst();
      return row && JSON.parse(row.document);
    },

    async cacheDocument(providerDid: string, datasetId: string, digest: string, document: unknown): Promise<void> {
      const row = { digest, document: JSON.stringify(document), fetched_at: new Date().toISOString() };
      await db
        .insertInto('federated_documents')
        .values({ provider_did: providerDid, dataset_id: datasetId, ...row })
        .onConflict((oc) => oc.columns(['provider_did', 'dataset_id']).doUpdateSet(row))
        .execute();
      const oldestKept = await db
        .selectFrom('federated_documents')
        .select('fetched_at')
        .orderBy('fetched_at', 'desc')
        .offset(documentsKept - 1)
        .limit(1)
        .executeTakeFirst();
      if (oldestKept) await db.deleteFrom('federated_documents').where('fetched_at', '<', oldestKept.fetched_at).execute();
    },

    /** The peers the catalog holds entries or a crawl record of. */
    async peerDids(): Promise<string[]> {
      return (await db.selectFrom('federated_peers').select('did').execute()).map((r) => r.did);
    },

    /** Forgets a peer that left the dataspace: its entries (BATCH rows per statement), pages, opened datasets and status. */
    async removePeer(did: string): Promise<void> {
      await db.updateTable('federated_peers').set({ current_gen: -1 }).where('did', '=', did).execute();
      await deleteEntries(did, 'from_gen', '>=', 0);
      await db.deleteFrom('federated_pages').where('provider_did', '=', did).execute();
      await db.deleteFrom('federated_documents').where('provider_did', '=', did).execute();
      await db.deleteFrom('federated_peers').where('did', '=', did).execute();
    },
  };
}

export type FederatedStore = ReturnType<typeof federatedStore>;
