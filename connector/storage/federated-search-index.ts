import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { facetKey, type Facet } from '../../catalog/federated.ts';
import { parseIdList } from './federated-rows.ts';
import { bitsOf, count, countBoth, countIn, has, intersect, wordsFor, type Bits } from './bitsets.ts';

/**
 * The federated catalog's search index, kept in memory: per peer (a segment), its visible generation's
 * entries in title order, and per facet value the positions (in that order) holding it, as a bit array
 * when common. A search intersects bit arrays and counts hits per value with a popcount, a few hundred
 * word operations per peer of 10,000 entries; only the hits of the page are read from the database.
 * Text matches come from the database's full-text index as entry ids, placed by `locate`.
 */
interface Posting {
  value: string;
  key: string;
  /** Positions holding the value: as bits when at least one entry in 32 does, else as a sorted list. */
  bits?: Bits;
  positions?: Uint32Array;
}
interface Segment {
  did: string;
  generation: number;
  /** Entry ids in (title, entry id) order, and their titles end to end in one string (a million strings slow every garbage collection). */
  entries: Int32Array;
  titles: Titles;
  /** facet → its values in this peer's visible entries */
  postings: Map<string, Posting[]>;
}
/** Titles end to end: title i is text[ends[i - 1] .. ends[i]). */
interface Titles {
  text: string;
  ends: Uint32Array;
}
const titleAt = (titles: Titles, i: number) => titles.text.slice(i === 0 ? 0 : titles.ends[i - 1], titles.ends[i]);
function packTitles(titles: string[]): Titles {
  const ends = new Uint32Array(titles.length);
  let end = 0;
  titles.forEach((title, i) => {
    end += title.length;
    ends[i] = end;
  });
  return { text: titles.join(''), ends };
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

function postingOf(value: string, positions: number[], size: number): Posting {
  const sorted = Uint32Array.from(positions).sort();
  return { value, key: facetKey(value), ...(sorted.length * 32 >= size ? { bits: bitsOf(sorted, size) } : { positions: sorted }) };
}
const postingBits = (p: Posting, size: number): Bits => p.bits ?? bitsOf(p.positions!, size);
const postingHits = (p: Posting, hits: Bits | undefined) => (!hits ? (p.positions?.length ?? count(p.bits!)) : p.bits ? countBoth(hits, p.bits) : countIn(hits, p.positions!));

/**
 * Where each entry id sits: its segment's slot and its position there, 6 bytes per id. An id of a
 * generation no longer visible may still point somewhere: `placed` checks the segment holds it there.
 */
function entryLocator() {
  let slotOf = new Uint16Array(0);
  let positionOf = new Uint32Array(0);
  const slots: (Segment | undefined)[] = [];
  const slotByDid = new Map<string, number>();
  return {
    install(segment: Segment): void {
      const slot = slotByDid.get(segment.did) ?? slots.push(undefined);
      slotByDid.set(segment.did, slot);
      slots[slot - 1] = segment;
      const top = segment.entries.reduce((n, id) => Math.max(n, id), 0);
      if (top >= slotOf.length) {
        const size = Math.max(top + 1, slotOf.length * 2);
        const grownSlots = new Uint16Array(size);
        grownSlots.set(slotOf);
        slotOf = grownSlots;
        const grownPositions = new Uint32Array(size);
        grownPositions.set(positionOf);
        positionOf = grownPositions;
      }
      segment.entries.forEach((id, position) => {
        slotOf[id] = slot;
        positionOf[id] = position;
      });
    },
    drop(did: string): void {
      const slot = slotByDid.get(did);
      if (slot !== undefined) slots[slot - 1] = undefined;
    },
    /** The ids that are visible entries, as bits per segment. */
    place(ids: ArrayLike<number>): Map<Segment, Bits> {
      const placed = new Map<Segment, Bits>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const segment = id < slotOf.length && slotOf[id] ? slots[slotOf[id]! - 1] : undefined;
        if (!segment || segment.entries[positionOf[id]!] !== id) continue;
        const bits = placed.get(segment) ?? placed.set(segment, new Uint32Array(wordsFor(segment.entries.length))).get(segment)!;
        bits[positionOf[id]! >>> 5]! |= 1 << (positionOf[id]! & 31);
      }
      return placed;
    },
  };
}

export function searchIndex(db: Kysely<Database>) {
  const idList = (db.getExecutor().adapter instanceof PostgresAdapter ? sql<string>`string_agg(entry_id::text, ',')` : sql<string>`group_concat(entry_id)`).as('ids');
  const segments = new Map<string, Segment>();
  const loading = new Map<string, Promise<Segment | undefined>>();
  const locator = entryLocator();

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
        for (const id of parseIdList(f.ids)) list.push(id);
      }
      await yieldToLoop();
    }
    const now = await db.selectFrom('federated_peers').select('current_gen').where('did', '=', did).executeTakeFirst();
    if (Number(now?.current_gen) !== generation) return undefined;
    entries.sort((a, b) => compare(a.title, a.id, b.title, b.id));
    const positionOf = new Map(entries.map((e, position) => [e.id, position]));
    const postings = new Map<string, Posting[]>();
    for (const [facet, values] of byValue)
      postings.set(
        facet,
        [...values].map(([value, ids]) =>
          postingOf(
            value,
            ids.map((id) => positionOf.get(id)!),
            entries.length,
          ),
        ),
      );
    return { did, generation, entries: Int32Array.from(entries, (e) => e.id), titles: packTitles(entries.map((e) => e.title)), postings };
  }

  /** The segments of these peers at these generations, loading those that changed; peers no longer listed are dropped. */
  async function sync(peers: { did: string; generation: number }[]): Promise<Segment[]> {
    const listed = new Set(peers.map((p) => p.did));
    for (const did of segments.keys())
      if (!listed.has(did)) {
        segments.delete(did);
        locator.drop(did);
      }
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
        const loaded = await pending;
        if (loaded && segments.get(did) !== loaded) {
          segments.set(did, loaded);
          locator.install(loaded);
        }
        segment = segments.get(did);
      }
      if (segment) out.push(segment);
    }
    return out;
  }

  /** The hits of a segment as bits (undefined: every entry), or null when the provider constraint leaves it out. */
  function hitsOf(segment: Segment, constraints: Constraints, text: Map<Segment, Bits> | undefined): Bits | undefined | null {
    const size = segment.entries.length;
    let hits: Bits | undefined;
    if (text) {
      const matched = text.get(segment);
      if (!matched) return null;
      hits = matched;
    }
    for (const { facet, key } of constraints.facets) {
      if (facet === 'provider') {
        if (facetKey(segment.did) !== key) return null;
        continue;
      }
      // Several values may share a key ("Hôpital B", "hôpital b"): an entry holding any of them matches.
      const holders = (segment.postings.get(facet) ?? []).filter((p) => p.key === key);
      if (holders.length === 0) return null;
      const union =
        holders.length === 1 ? postingBits(holders[0]!, size).slice() : holders.reduce<Bits>((bits, p) => unite(bits, postingBits(p, size)), new Uint32Array(wordsFor(size)));
      if (hits) intersect(hits, union);
      else hits = union;
    }
    return hits;
  }

  return {
    sync,

    /**
     * The hits in order after `after`, `limit` of them (one more says a next page exists), and, when `counted`
     * is given, their total and count per value of those facets (the VALUES_SHOWN commonest of each).
     */
    hits(all: Segment[], constraints: Constraints, page: { limit: number; after?: Cursor }, counted?: Facet[]): { ids: number[] } & Partial<FacetCounts> {
      const text = constraints.textIds ? locator.place(constraints.textIds) : undefined;
      const selected: { segment: Segment; hits: Bits | undefined }[] = [];
      for (const segment of all) {
        const hits = hitsOf(segment, constraints, text);
        if (hits !== null) selected.push({ segment, hits });
      }
      const ids = pageOf(selected, page);
      if (!counted) return { ids };
      let total = 0;
      const sums = new Map<Facet, Map<string, number>>(counted.map((f) => [f, new Map()]));
      for (const { segment, hits } of selected) {
        const found = hits ? count(hits) : segment.entries.length;
        total += found;
        if (found === 0) continue;
        for (const [facet, values] of sums) {
          if (facet === 'provider') {
            values.set(segment.did, (values.get(segment.did) ?? 0) + found);
            continue;
          }
          for (const p of segment.postings.get(facet) ?? []) {
            const n = postingHits(p, hits);
            if (n) values.set(p.value, (values.get(p.value) ?? 0) + n);
          }
        }
      }
      const facetCounts: FacetCounts['facetCounts'] = {};
      for (const [facet, values] of sums) {
        if (values.size === 0) continue;
        facetCounts[facet] = [...values]
          .map(([value, n]) => ({ value, count: n }))
          .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
          .slice(0, VALUES_SHOWN);
      }
      return { ids, total, facetCounts };
    },
  };
}

function unite(target: Bits, other: Bits): Bits {
  for (let i = 0; i < target.length; i++) target[i]! |= other[i]!;
  return target;
}

/** Up to limit + 1 hits after the cursor: the first of each segment in its title order, merged. */
function pageOf(selected: { segment: Segment; hits: Bits | undefined }[], page: { limit: number; after?: Cursor }): number[] {
  const want = page.limit + 1;
  const candidates: { id: number; title: string }[] = [];
  for (const { segment: s, hits } of selected) {
    let i = 0;
    if (page.after) {
      const { title, entryId } = page.after;
      for (let hi = s.entries.length; i < hi; ) {
        const mid = (i + hi) >> 1;
        if (compare(titleAt(s.titles, mid), s.entries[mid]!, title, entryId) <= 0) i = mid + 1;
        else hi = mid;
      }
    }
    for (let found = 0; i < s.entries.length && found < want; i++) {
      if (hits && hits[i >>> 5] === 0) {
        i |= 31;
        continue;
      }
      if (!hits || has(hits, i)) {
        candidates.push({ id: s.entries[i]!, title: titleAt(s.titles, i) });
        found++;
      }
    }
  }
  return candidates
    .sort((a, b) => compare(a.title, a.id, b.title, b.id))
    .slice(0, want)
    .map((c) => c.id);
}
