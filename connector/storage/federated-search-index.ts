import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { facetKey, type Facet } from '../../catalog/federated.ts';

/**
 * The federated catalog's search index, kept in memory: per peer, its visible generation's entry ids in
 * title order (with the titles) and, per facet value, the ids holding it; loaded from the database when the
 * peer's generation changes. Filtering, ordering and counting hits are then array lookups, not a b-tree visit
 * per hit and facet row in the database (which took seconds for 200,000 hits of 1,000,000 entries). About
 * 4 bytes per facet row and 60 per entry. The provider facet is the segment itself; text matches come from
 * the database's full-text index.
 */
interface Posting {
  value: string;
  key: string;
  ids: Int32Array;
}
interface Segment {
  did: string;
  generation: number;
  /** Entry ids in (title, entry id) order, and their titles. */
  entries: Int32Array;
  titles: string[];
  top: number;
  /** facet → its values in this peer's visible entries */
  postings: Map<string, Posting[]>;
}
export interface FacetCounts {
  total: number;
  facetCounts: Partial<Record<Facet, { value: string; count: number }[]>>;
}
export interface Cursor {
  title: string;
  entryId: number;
}
export interface Constraints {
  facets: { facet: string; key: string }[];
  /** Entry ids (of any generation) that match the text, when there is text. */
  textIds?: ArrayLike<number>;
}

/** Entries read per query while a segment loads: a few milliseconds each, the event loop gets a turn between them. */
const CHUNK = 1000;
const VALUES_SHOWN = 20;
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));
/** Hits' order: by title (UTF-16 code units, the same on every database), then entry id. */
const compare = (titleA: string, idA: number, titleB: string, idB: number) => (titleA < titleB ? -1 : titleA > titleB ? 1 : idA - idB);

export function searchIndex(db: Kysely<Database>) {
  const idList = (db.getExecutor().adapter instanceof PostgresAdapter ? sql<string>`string_agg(entry_id::text, ',')` : sql<string>`group_concat(entry_id)`).as('ids');
  const segments = new Map<string, Segment>();
  const loading = new Map<string, Promise<Segment | undefined>>();

  /** Reads a peer's visible entries and their facet rows, in short queries; undefined when its generation changed meanwhile. */
  async function load(did: string, generation: number): Promise<Segment | undefined> {
    const entries: { id: number; title: string }[] = [];
    const byValue = new Map<string, Map<string, number[]>>();
    for (let after = ''; ; ) {
      const rows = await db
        .selectFrom('federated_entries')
        .select(['entry_id', 'dataset_id', 'title'])
        .where('provider_did', '=', did)
        .where('dataset_id', '>', after)
        .where('from_gen', '<=', generation)
        .where((eb) => eb.or([eb('to_gen', 'is', null), eb('to_gen', '>', generation)]))
        .orderBy('dataset_id')
        .limit(CHUNK)
        .execute();
      if (rows.length === 0) break;
      after = rows.at(-1)!.dataset_id;
      const ids = rows.map((r) => Number(r.entry_id));
      for (const r of rows) entries.push({ id: Number(r.entry_id), title: r.title });
      // One row per facet value of the chunk, its entries as a list: a few dozen rows, not one per facet row.
      const facets = await db
        .selectFrom('federated_facets')
        .select(['facet', 'value', idList])
        .where('entry_id', 'in', ids)
        .where('facet', '<>', 'provider')
        .groupBy(['facet', 'value'])
        .execute();
      for (const f of facets) {
        const values = byValue.get(f.facet) ?? byValue.set(f.facet, new Map()).get(f.facet)!;
        const list = values.get(f.value) ?? values.set(f.value, []).get(f.value)!;
        for (const id of f.ids.split(',')) list.push(Number(id));
      }
      await yieldToLoop();
    }
    const now = await db.selectFrom('federated_peers').select('current_gen').where('did', '=', did).executeTakeFirst();
    if (Number(now?.current_gen) !== generation) return undefined;
    const sorted = (ids: number[]) => Int32Array.from(ids).sort();
    const postings = new Map<string, Posting[]>();
    for (const [facet, values] of byValue)
      postings.set(
        facet,
        [...values].map(([value, ids]) => ({ value, key: facetKey(value), ids: sorted(ids) })),
      );
    entries.sort((a, b) => compare(a.title, a.id, b.title, b.id));
    const top = entries.reduce((n, e) => Math.max(n, e.id), 0);
    return { did, generation, entries: Int32Array.from(entries, (e) => e.id), titles: entries.map((e) => e.title), top, postings };
  }

  /** The segments of these peers at these generations, loading those that changed; peers no longer listed are dropped. */
  async function sync(peers: { did: string; generation: number }[]): Promise<Segment[]> {
    const listed = new Set(peers.map((p) => p.did));
    for (const did of segments.keys()) if (!listed.has(did)) segments.delete(did);
    const out: Segment[] = [];
    for (const { did, generation } of peers) {
      let segment = segments.get(did);
      if (segment?.generation !== generation) {
        const key = `${did} ${generation}`;
        let pending = loading.get(key);
        if (!pending) {
          pending = load(did, generation).finally(() => loading.delete(key));
          loading.set(key, pending);
        }
        segment = await pending;
        if (segment) segments.set(did, segment);
        else segment = segments.get(did);
      }
      if (segment) out.push(segment);
    }
    return out;
  }

  /** Segments the provider constraint keeps, and the value lists of the other facet constraints. */
  function select(all: Segment[], constraints: Constraints) {
    const provider = constraints.facets.filter((f) => f.facet === 'provider');
    const others = constraints.facets.filter((f) => f.facet !== 'provider');
    const kept = all.filter((s) => provider.every((p) => facetKey(s.did) === p.key));
    return { kept, others };
  }

  /** Ids of a segment holding a value whose key is `key` (several values may share a key: "Hôpital B", "hôpital b"). */
  function holdersIn(segment: Segment, facet: string, key: string): ArrayLike<number> {
    const lists = (segment.postings.get(facet) ?? []).filter((p) => p.key === key).map((p) => p.ids);
    if (lists.length <= 1) return lists[0] ?? new Int32Array(0);
    return Int32Array.from(new Set(lists.flatMap((l) => [...l]))).sort();
  }

  return {
    sync,

    /**
     * The hits in order after `after`, `limit` of them (one more says a next page exists), and, when `counted`
     * is given, their total and count per value of those facets (the VALUES_SHOWN commonest of each).
     */
    hits(all: Segment[], constraints: Constraints, page: { limit: number; after?: Cursor }, counted?: Facet[]): { ids: number[] } & Partial<FacetCounts> {
      const { kept, others } = select(all, constraints);
      const need = others.length + (constraints.textIds ? 1 : 0);
      let marks: Uint8Array | undefined;
      if (need > 0) {
        const top = kept.reduce((n, s) => Math.max(n, s.top), 0);
        marks = new Uint8Array(top + 1);
        const m = marks;
        if (constraints.textIds) for (let i = 0; i < constraints.textIds.length; i++) if (constraints.textIds[i]! <= top) m[constraints.textIds[i]!] = 1;
        for (const segment of kept)
          for (const f of others) {
            const ids = holdersIn(segment, f.facet, f.key);
            for (let i = 0; i < ids.length; i++) m[ids[i]!]!++;
          }
      }
      const isHit = (id: number) => !marks || marks[id] === need;
      const hitsIn = (ids: ArrayLike<number>) => {
        if (!marks) return ids.length;
        let n = 0;
        for (let i = 0; i < ids.length; i++) if (marks[ids[i]!] === need) n++;
        return n;
      };
      const ids = pageOf(kept, isHit, page);
      if (!counted) return { ids };
      let total = 0;
      const sums = new Map<Facet, Map<string, number>>(counted.map((f) => [f, new Map()]));
      for (const segment of kept) {
        const hits = hitsIn(segment.entries);
        total += hits;
        if (hits === 0) continue;
        for (const [facet, values] of sums) {
          if (facet === 'provider') {
            values.set(segment.did, (values.get(segment.did) ?? 0) + hits);
            continue;
          }
          for (const p of segment.postings.get(facet) ?? []) {
            const n = hitsIn(p.ids);
            if (n) values.set(p.value, (values.get(p.value) ?? 0) + n);
          }
        }
      }
      const facetCounts: FacetCounts['facetCounts'] = {};
      for (const [facet, values] of sums) {
        if (values.size === 0) continue;
        facetCounts[facet] = [...values]
          .map(([value, count]) => ({ value, count }))
          .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
          .slice(0, VALUES_SHOWN);
      }
      return { ids, total, facetCounts };
    },
  };
}

/** Up to limit + 1 hits after the cursor: the first of each segment in its title order, merged. */
function pageOf(segments: Segment[], isHit: (id: number) => boolean, page: { limit: number; after?: Cursor }): number[] {
  const want = page.limit + 1;
  const candidates: { id: number; title: string }[] = [];
  for (const s of segments) {
    let i = 0;
    if (page.after) {
      const { title, entryId } = page.after;
      for (let hi = s.entries.length; i < hi; ) {
        const mid = (i + hi) >> 1;
        if (compare(s.titles[mid]!, s.entries[mid]!, title, entryId) <= 0) i = mid + 1;
        else hi = mid;
      }
    }
    for (let found = 0; i < s.entries.length && found < want; i++)
      if (isHit(s.entries[i]!)) {
        candidates.push({ id: s.entries[i]!, title: s.titles[i]! });
        found++;
      }
  }
  return candidates
    .sort((a, b) => compare(a.title, a.id, b.title, b.id))
    .slice(0, want)
    .map((c) => c.id);
}
