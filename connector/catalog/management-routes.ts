import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseQuery } from '../http/openapi.ts';
import { DatasetInput, tierOf, type Dataset } from '../../catalog/dataset.ts';
import { DatasetRejected } from '../../catalog/publication.ts';
import { OfferTakenError } from '../storage/catalog-store.ts';
import { DataSourceError } from './data-source.ts';
import type { CatalogService } from './catalog-service.ts';

const ListQuery = z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(500).default(100) });
const DatasetView = z.object({
  id: z.string(),
  title: z.record(z.string(), z.string()),
  tier: z.string(),
  visibility: z.string(),
  modified: z.string(),
  offers: z.array(z.string()),
});
const summary = (d: Dataset) => ({ id: d.id, title: d.title, tier: tierOf(d), visibility: d.visibility, modified: d.modified, offers: d.offers.map((o) => o['@id']) });

async function bodyOf(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'The request body must be a JSON document');
  }
}

/** Management API of the data steward: register, update, delete and list datasets. */
export function catalogManagementRoutes(ctx: ConnectorContext, catalog: CatalogService): Hono {
  const app = new Hono();
  const tag = 'datasets';
  ctx.openapi.add(
    {
      method: 'post',
      path: '/datasets',
      tag,
      summary: 'Register a dataset (validated against the HealthDCAT-AP shapes of its access tier)',
      body: DatasetInput,
      responses: { 201: { description: 'Registered', schema: DatasetView }, 400: { description: 'Refused, naming each field at fault' } },
    },
    {
      method: 'get',
      path: '/datasets',
      tag,
      summary: 'Registered datasets',
      query: ListQuery,
      responses: { 200: { description: 'Datasets', schema: z.object({ datasets: z.array(DatasetView) }) } },
    },
    { method: 'get', path: '/datasets/{id}', tag, summary: 'One dataset as registered', responses: { 200: { description: 'The dataset' }, 404: { description: 'Unknown' } } },
    {
      method: 'put',
      path: '/datasets/{id}',
      tag,
      summary: 'Replace a dataset (modified is bumped, issued kept)',
      body: DatasetInput,
      responses: { 200: { description: 'Updated', schema: DatasetView }, 400: { description: 'Refused' }, 404: { description: 'Unknown' } },
    },
    {
      method: 'delete',
      path: '/datasets/{id}',
      tag,
      summary: 'Withdraw a dataset from the catalog',
      responses: { 204: { description: 'Deleted' }, 404: { description: 'Unknown' } },
    },
  );
  const register = async (raw: unknown, previous?: Dataset) => {
    try {
      return await catalog.register(raw, previous);
    } catch (error) {
      if (error instanceof DatasetRejected) throw new HttpProblem(400, 'invalid_dataset', 'The dataset is not valid', error.problems);
      if (error instanceof DataSourceError) throw new HttpProblem(400, 'invalid_source', error.message);
      if (error instanceof OfferTakenError) throw new HttpProblem(409, 'offer_taken', error.message);
      throw error;
    }
  };
  app.post('/datasets', async (c) => {
    const raw = (await bodyOf(c)) as Record<string, unknown>;
    if (typeof raw?.id === 'string' && (await catalog.store.get(raw.id))) throw new HttpProblem(409, 'exists', `Dataset ${raw.id} exists; update it with PUT`);
    const published = await register(raw);
    ctx.logger.info('dataset registered', { dataset: published.dataset.id, tier: tierOf(published.dataset) });
    return c.json(summary(published.dataset), 201);
  });
  app.get('/datasets', async (c) => c.json({ datasets: (await catalog.store.list(parseQuery(c, ListQuery))).map(summary) }));
  app.get('/datasets/:id', async (c) => {
    const dataset = await catalog.store.get(c.req.param('id'));
    if (!dataset) throw new HttpProblem(404, 'not_found', `No dataset ${c.req.param('id')}`);
    return c.json(dataset);
  });
  app.put('/datasets/:id', async (c) => {
    const previous = await catalog.store.get(c.req.param('id'));
    if (!previous) throw new HttpProblem(404, 'not_found', `No dataset ${c.req.param('id')}`);
    const raw = (await bodyOf(c)) as Record<string, unknown>;
    if (raw?.id !== undefined && raw.id !== previous.id) throw new HttpProblem(400, 'invalid_dataset', 'id cannot change');
    return c.json(summary((await register(raw, previous)).dataset));
  });
  app.delete('/datasets/:id', async (c) => {
    if (!(await catalog.remove(c.req.param('id')))) throw new HttpProblem(404, 'not_found', `No dataset ${c.req.param('id')}`);
    return c.body(null, 204);
  });
  return app;
}
