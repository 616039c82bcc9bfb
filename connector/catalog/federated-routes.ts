import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { parseQuery } from '../http/openapi.ts';
import { matchesFacets } from '../../catalog/federated.ts';
import type { Crawler } from './crawler.ts';

const SearchQuery = z.object({
  q: z.string().max(200).optional(),
  theme: z.string().optional(),
  healthCategory: z.string().optional(),
  publisher: z.string().optional(),
  spatial: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const Hit = z.object({ provider: z.object({ did: z.string(), name: z.string().nullable(), dspAddress: z.string() }), datasetId: z.string(), title: z.string(), facets: z.unknown(), offers: z.array(z.unknown()), crawledAt: z.string() });

/** The researcher's view of the whole dataspace: search across every peer's catalog, crawl now, peer status. */
export function federatedCatalogRoutes(ctx: ConnectorContext, crawler: Crawler): Hono {
  const app = new Hono();
  const tag = 'federated catalog';
  ctx.openapi.add(
    { method: 'get', path: '/catalog/search', tag, summary: "Search all peers' datasets: full text over title, description and keywords; filters on theme, healthCategory, publisher, spatial", query: SearchQuery, responses: { 200: { description: 'Hits, each naming its provider and DSP address', schema: z.object({ hits: z.array(Hit) }) } } },
    { method: 'post', path: '/catalog/crawl', tag, summary: "Crawl every peer's catalog now", responses: { 200: { description: 'What each peer answered' } } },
    { method: 'get', path: '/catalog/peers', tag, summary: 'Peers crawled, with the outcome of their last crawl', responses: { 200: { description: 'Peers' } } },
  );
  app.get('/catalog/search', async (c) => {
    const { q, limit, ...facets } = parseQuery(c, SearchQuery);
    const entries = await crawler.store.search(q, 5000);
    const hits = entries.filter((e) => matchesFacets(e.facets, facets)).slice(0, limit);
    return c.json({
      hits: hits.map((e) => ({ provider: { did: e.providerDid, name: e.providerName, dspAddress: e.dspAddress }, datasetId: e.datasetId, title: e.title, facets: e.facets, offers: (e.dataset.hasPolicy as unknown[]) ?? [], crawledAt: e.crawledAt })),
    });
  });
  app.post('/catalog/crawl', async (c) => c.json({ peers: await crawler.crawlAll() }));
  app.get('/catalog/peers', async (c) => c.json({ peers: await crawler.store.peers() }));
  return app;
}
