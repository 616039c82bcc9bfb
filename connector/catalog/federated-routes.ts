import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseQuery } from '../http/openapi.ts';
import { FACETS, searchWords, type Facet } from '../../catalog/federated.ts';
import type { FederatedEntry } from '../storage/federated-store.ts';
import { describeError, fetchDataset } from './catalog-page-client.ts';
import type { Crawler } from './crawler.ts';

/** Keywords are many per dataset and mostly distinct: counted only when asked for. */
const COUNTED_BY_DEFAULT: Facet[] = FACETS.filter((f) => f !== 'keyword');
const facetFilter = z.string().min(1).max(300).optional();
const SearchQuery = z.object({
  q: z.string().max(200).optional(),
  theme: facetFilter,
  healthCategory: facetFilter,
  healthTheme: facetFilter,
  publisher: facetFilter,
  spatial: facetFilter,
  accessRights: facetFilter,
  keyword: facetFilter,
  provider: facetFilter,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1000).optional(),
  facets: z
    .string()
    .optional()
    .transform((list, ctx) => {
      if (list === undefined) return COUNTED_BY_DEFAULT;
      const names = list.split(',').filter(Boolean);
      const unknown = names.filter((n) => !(FACETS as readonly string[]).includes(n));
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown facet ${unknown.join(', ')}; facets are ${FACETS.join(', ')}` });
      return names as Facet[];
    })
    .describe(`facets to count the hits of per value, comma-separated (empty: none); default ${COUNTED_BY_DEFAULT.join(',')}`),
});
const FacetCounts = z.record(z.string(), z.array(z.object({ value: z.string(), count: z.number() })));
const Hit = z.object({
  provider: z.object({ did: z.string(), name: z.string().nullable(), dspAddress: z.string() }),
  datasetId: z.string(),
  title: z.string(),
  description: z.string(),
  keywords: z.array(z.string()),
  facets: z.unknown(),
  offers: z.array(z.unknown()),
  crawledAt: z.string(),
});
const SearchResult = z.object({
  hits: z.array(Hit),
  next: z.string().optional().describe('cursor of the next page'),
  total: z.number().optional().describe('all hits (first page only)'),
  facetCounts: FacetCounts.optional().describe('hits per facet value (first page only)'),
});
const DatasetQuery = z.object({ provider: z.string().regex(/^did:/, 'must be a DID').optional() });

const encodeCursor = (after: { title: string; entryId: number }) => Buffer.from(JSON.stringify([after.title, after.entryId])).toString('base64url');
function decodeCursor(cursor: string): { title: string; entryId: number } {
  try {
    const [title, entryId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof title === 'string' && Number.isInteger(entryId)) return { title, entryId: entryId as number };
  } catch {
    // reported below
  }
  throw new HttpProblem(400, 'invalid_query', 'cursor is not one this API returned');
}

const hitOf = (e: FederatedEntry) => ({
  provider: { did: e.providerDid, name: e.providerName, dspAddress: e.dspAddress },
  datasetId: e.datasetId,
  title: e.title,
  description: e.description,
  keywords: e.keywords,
  facets: e.facets,
  offers: e.offers,
  crawledAt: e.crawledAt,
});

/** The researcher's view of the whole dataspace: search across every peer's catalog, open a dataset, crawl now, peer status. */
export function federatedCatalogRoutes(ctx: ConnectorContext, crawler: Crawler): Hono {
  const app = new Hono();
  const tag = 'federated catalog';
  ctx.openapi.add(
    {
      method: 'get',
      path: '/catalog/search',
      tag,
      summary:
        "Search all peers' datasets: every word of q prefixes a word of title, description or keywords; exact filters on theme, healthCategory, healthTheme, publisher (IRI or name), spatial, accessRights, keyword, provider (DID). Ordered by title; pass `next` back as cursor for the following page",
      query: SearchQuery,
      responses: { 200: { description: 'Hits, each naming its provider and DSP address; the first page also counts all hits and the hits per facet value', schema: SearchResult } },
    },
    {
      method: 'get',
      path: '/catalog/datasets/{id}',
      tag,
      summary: "A dataset's full DSP description, fetched from its provider (cached while the crawled digest is unchanged)",
      query: DatasetQuery,
      responses: { 200: { description: 'The DSP Dataset' }, 404: { description: 'Not in the federated catalog' }, 502: { description: 'The provider did not answer with it' } },
    },
    {
      method: 'post',
      path: '/catalog/crawl',
      tag,
      summary: "Crawl every peer's catalog now (joins a crawl under way)",
      responses: { 200: { description: 'What each peer answered' } },
    },
    {
      method: 'get',
      path: '/catalog/peers',
      tag,
      summary: 'Peers crawled, with the outcome of their last crawl (error and its cause)',
      responses: { 200: { description: 'Peers' } },
    },
  );
  app.get('/catalog/search', async (c) => {
    const { q, limit, cursor, facets: counted, ...filters } = parseQuery(c, SearchQuery);
    const facets = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Partial<Record<Facet, string>>;
    const words = searchWords(q);
    if (q?.trim() && words.length === 0) return c.json({ hits: [], total: 0, facetCounts: {} });
    const result = await crawler.store.search({ words, facets, limit, ...(cursor === undefined ? { counts: counted } : { after: decodeCursor(cursor) }) });
    return c.json({
      hits: result.hits.map(hitOf),
      ...(result.after ? { next: encodeCursor(result.after) } : {}),
      ...(result.total !== undefined ? { total: result.total, facetCounts: result.facetCounts } : {}),
    });
  });
  app.get('/catalog/datasets/:id', async (c) => {
    const id = c.req.param('id');
    const { provider } = parseQuery(c, DatasetQuery);
    const entries = await crawler.store.find(id, provider);
    if (entries.length === 0) throw new HttpProblem(404, 'not_found', `The federated catalog has no dataset ${id}${provider ? ` from ${provider}` : ''}`);
    if (entries.length > 1) throw new HttpProblem(409, 'ambiguous', `Several providers offer ${id}; name provider`);
    const entry = entries[0]!;
    const cached = await crawler.store.cachedDocument(entry.providerDid, id, entry.digest);
    if (cached) return c.json(cached);
    let dataset: Record<string, unknown>;
    try {
      dataset = await fetchDataset(ctx, { did: entry.providerDid, dspAddress: entry.dspAddress }, id);
    } catch (error) {
      const { message, cause } = describeError(error);
      throw new HttpProblem(502, 'provider_unavailable', `The provider did not send dataset ${id}: ${message}${cause ? ` (${cause})` : ''}`);
    }
    await crawler.store.cacheDocument(entry.providerDid, id, entry.digest, dataset);
    return c.json(dataset);
  });
  app.post('/catalog/crawl', async (c) => c.json({ peers: await crawler.crawlAll() }));
  app.get('/catalog/peers', async (c) => c.json({ peers: await crawler.store.peers(), crawling: crawler.isCrawling() }));
  return app;
}
