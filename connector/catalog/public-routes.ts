import { Hono } from 'hono';
import { catalogQuads } from '../../catalog/rdf.ts';
import { jsonLdNodes, turtleBody, turtlePrefixes } from '../../catalog/publication.ts';
import type { CatalogService } from './catalog-service.ts';

/**
 * The public catalog (public datasets only) as one graph, in Turtle or JSON-LD by content negotiation
 * (`Accept: text/turtle` or `application/ld+json`; `?format=turtle|jsonld` overrides). Both carry the same
 * triples: each is concatenated from serializations computed at registration.
 */
export function publicCatalogRoutes(catalog: CatalogService): Hono {
  const app = new Hono();
  app.get('/catalog', async (c) => {
    const format = c.req.query('format') ?? (/text\/turtle/.test(c.req.header('accept') ?? '') ? 'turtle' : 'jsonld');
    if (format !== 'turtle' && format !== 'jsonld') return c.json({ error: { code: 'invalid_format', message: 'format must be turtle or jsonld' } }, 400);
    const ids = await catalog.store.ids(false);
    const header = catalogQuads(catalog.host, ids);
    const rows = (await catalog.store.page(format === 'turtle' ? 'turtle' : 'jsonld', { members: false, offset: 0, limit: Number.MAX_SAFE_INTEGER })).map((r) => r.value);
    c.header('Vary', 'Accept');
    if (format === 'turtle') return c.body(`${[turtlePrefixes(), '', turtleBody(header), ...rows].join('\n')}\n`, 200, { 'content-type': 'text/turtle; charset=utf-8' });
    return c.body(`{"@graph":[${[jsonLdNodes(header), ...rows].filter(Boolean).join(',')}]}`, 200, { 'content-type': 'application/ld+json' });
  });
  return app;
}
