import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { hostOf, seedCatalog } from '../../scripts/bench/seed-catalog.ts';
import { exampleDataset, registerDataset } from './support.ts';

const PER_HOSPITAL = 3000;
const TOPICS = ['asthma', 'sepsis', 'melanoma', 'glaucoma', 'psoriasis', 'lupus'];
const CATEGORY = (c: string) => `http://healthdataportal.eu/ns/health-category#${c}`;
const CATEGORIES = ['EHR', 'REGISTRY', 'GENOMICS'].map(CATEGORY);
const HEAL = 'http://publications.europa.eu/resource/authority/data-theme/HEAL';
const RARE = 'http://publications.europa.eu/resource/authority/data-theme/TECH';
/** Dataset i of each hospital: topic i % 6, category i % 3, the rare theme on every 149th (21 per hospital). */
const shape = (i: number) => ({ topic: TOPICS[i % 6]!, category: CATEGORIES[i % 3]!, rare: i % 149 === 7 });
const idOf = (h: number, i: number) => `urn:uuid:00000000-0000-4000-800${h}-${String(i).padStart(12, '0')}`;
const published = (test: (s: ReturnType<typeof shape>) => boolean) => Array.from({ length: PER_HOSPITAL }, (_, i) => i).filter((i) => test(shape(i)));

describe(`federated catalog at scale: 2 hospitals × ${PER_HOSPITAL} datasets`, () => {
  let hospitals: RunningConnector[], institute: RunningConnector;
  const search = async (query: string) => jsonOf(await managementFetch(institute, `/catalog/search?${query}`));
  const crawl = async () => (await jsonOf(await managementFetch(institute, '/catalog/crawl', { method: 'POST' }))).peers;
  const entryTable = async () =>
    (await sql<{ n: number | string; last: number | string }>`select count(*) as n, max(entry_id) as last from federated_entries`.execute(institute.ctx.database.db)).rows[0]!;

  beforeAll(async () => {
    hospitals = await Promise.all([0, 1].map((h) => startTestConnector({ role: 'hospital', name: `Hospital ${h}` })));
    for (const [h, hospital] of hospitals.entries()) {
      await seedCatalog(hospital.ctx.database.db, hostOf(hospital.url, `Hospital ${h}`), PER_HOSPITAL, (i) => {
        const { topic, category, rare } = shape(i);
        return {
          id: idOf(h, i),
          title: { en: `Cohort ${String(i).padStart(5, '0')} (${topic})` },
          keywords: { en: [topic], fr: ['diabète'] },
          themes: rare ? [HEAL, RARE] : [HEAL],
          healthCategories: [category],
        };
      });
    }
    institute = await startTestConnector({
      role: 'research-institute',
      name: 'institute',
      peers: hospitals.map((h, i) => ({ did: h.did, name: `Hospital ${i}`, dspAddress: `${h.url}/dsp/2025-1` })),
    });
    const peers = await crawl();
    expect(peers.map((p: any) => [p.ok, p.datasets])).toEqual([
      [true, PER_HOSPITAL],
      [true, PER_HOSPITAL],
    ]);
  }, 120_000);

  it('counts every dataset of every provider', async () => {
    const all = await search('limit=1');
    expect(all.total).toBe(2 * PER_HOSPITAL);
    expect(Object.fromEntries(all.facetCounts.provider.map((c: any) => [c.value, c.count]))).toEqual({ [hospitals[0]!.did]: PER_HOSPITAL, [hospitals[1]!.did]: PER_HOSPITAL });
  });

  it('finds every dataset of a rare theme, also past the first 5,000 titles, page by page with cursors', async () => {
    const expected = [0, 1].flatMap((h) => published((s) => s.rare).map((i) => idOf(h, i)));
    const first = await search(`theme=${encodeURIComponent(RARE)}&limit=7`);
    expect(first.total).toBe(expected.length);
    const seen: any[] = [...first.hits];
    for (let cursor = first.next; cursor; ) {
      const page = await search(`theme=${encodeURIComponent(RARE)}&limit=7&cursor=${cursor}`);
      expect(page.total).toBeUndefined();
      seen.push(...page.hits);
      cursor = page.next;
    }
    expect(seen.map((h) => h.datasetId).sort()).toEqual([...expected].sort());
    const titles = seen.map((h) => h.title);
    expect(titles).toEqual([...titles].sort());
    expect(titles.at(-1)).toMatch(new RegExp(`^Cohort ${String(published((s) => s.rare).at(-1)).padStart(5, '0')}`));
  });

  it('searches text: every word prefixes a word of title, description or keywords, accents aside', async () => {
    const melanoma = 2 * published((s) => s.topic === 'melanoma').length;
    expect((await search('q=melanoma&limit=1')).total).toBe(melanoma);
    expect((await search('q=MELAN&limit=1')).total).toBe(melanoma);
    expect((await search('q=melanoma+cohort+00002&limit=5')).hits.map((h: any) => h.datasetId).sort()).toEqual([idOf(0, 2), idOf(1, 2)]);
    expect((await search('q=diabete&limit=1')).total).toBe(2 * PER_HOSPITAL);
    expect((await search('q=melanoma+sepsis')).total).toBe(0);
  });

  it('combines text and facets, and counts the hits per facet value', async () => {
    const both = await search(`q=melanoma&healthCategory=${encodeURIComponent(CATEGORIES[1]!)}&limit=3`);
    expect(both.total).toBe(2 * published((s) => s.topic === 'melanoma' && s.category === CATEGORIES[1]).length);
    const melanoma = await search('q=melanoma&limit=1');
    const counts = Object.fromEntries(melanoma.facetCounts.healthCategory.map((c: any) => [c.value, c.count]));
    expect(counts).toEqual(Object.fromEntries(CATEGORIES.map((c) => [c, 2 * published((s) => s.topic === 'melanoma' && s.category === c).length]).filter(([, n]) => n)));
    expect(melanoma.facetCounts.theme).toContainEqual({ value: RARE, count: 2 * published((s) => s.topic === 'melanoma' && s.rare).length });
    const asthma = await search(`provider=${encodeURIComponent(hospitals[1]!.did)}&keyword=asthma&limit=1&facets=keyword,provider`);
    expect(asthma.total).toBe(published((s) => s.topic === 'asthma').length);
    expect(asthma.facetCounts).toEqual({
      keyword: [
        { value: 'asthma', count: asthma.total },
        { value: 'diabète', count: asthma.total },
      ],
      provider: [{ value: hospitals[1]!.did, count: asthma.total }],
    });
    expect((await managementFetch(institute, '/catalog/search?facets=colour')).status).toBe(400);
  });

  it('re-crawls an unchanged catalog without writing an entry: every page is found unchanged by its ETag', async () => {
    const before = await entryTable();
    const peers = await crawl();
    for (const p of peers) expect(p).toMatchObject({ ok: true, datasets: PER_HOSPITAL, stats: { written: 0, retired: 0, notModified: p.stats.pages } });
    expect(await entryTable()).toEqual(before);
  });

  it('re-crawls a changed catalog writing only what changed', async () => {
    const added = exampleDataset(hospitals[0]!, { title: { en: 'Paediatric sickle cell registry' } });
    await registerDataset(hospitals[0]!, added);
    const removed = idOf(1, 3);
    expect((await managementFetch(hospitals[1]!, `/datasets/${encodeURIComponent(removed)}`, { method: 'DELETE' })).status).toBeLessThan(300);
    const [a, b] = await crawl();
    expect(a).toMatchObject({ ok: true, datasets: PER_HOSPITAL + 1, stats: { written: 1, retired: 0 } });
    expect(b).toMatchObject({ ok: true, datasets: PER_HOSPITAL - 1, stats: { written: 0, retired: 1 } });
    expect((await search('q=sickle')).hits.map((h: any) => h.datasetId)).toEqual([added.id]);
    expect((await search('limit=1')).total).toBe(2 * PER_HOSPITAL);
    expect((await managementFetch(institute, `/catalog/datasets/${encodeURIComponent(removed)}`)).status).toBe(404);
    expect(Number((await entryTable()).n)).toBe(2 * PER_HOSPITAL);
  });
});
