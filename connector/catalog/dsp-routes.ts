import { createHash } from 'node:crypto';
import { dspContextList } from '../../contracts/dsp-context.ts';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { requireCaller } from '../trust/caller-auth.ts';
import { catalogError } from '../../catalog/dsp.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import type { CatalogService } from './catalog-service.ts';
import { DspProblem } from '../http/dsp-problem.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** A refusal of a catalog request, answered as a CatalogError. */
class CatalogProblem extends DspProblem {
  override name = 'CatalogProblem';
  constructor(status: DspProblem['status'], reason: string) {
    super(status, [reason]);
  }
}

const CatalogRequestMessage = z.object({
  '@context': dspContextList,
  '@type': z.literal('CatalogRequestMessage'),
  filter: z.array(z.strictObject({ text: z.string().min(1).max(200) }, { error: 'filter entries are objects with "text" (full-text search)' })).optional(),
});

/** Page position from the query string: limit, and offset or a cursor (after / before a dataset id). */
export function pageOf(c: Context): { limit: number; offset?: number; after?: string; before?: string } {
  const limit = Number(c.req.query('limit') ?? DEFAULT_PAGE);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new CatalogProblem(400, `limit must be an integer from 1 to ${MAX_PAGE}`);
  const [offsetText, after, before] = [c.req.query('offset'), c.req.query('after'), c.req.query('before')];
  if ([offsetText, after, before].filter((v) => v !== undefined).length > 1) throw new CatalogProblem(400, 'give at most one of offset, after and before');
  if (after !== undefined || before !== undefined) return { limit, ...(after !== undefined ? { after } : { before: before! }) };
  const offset = Number(offsetText ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw new CatalogProblem(400, 'offset must be a non-negative integer');
  return { limit, offset };
}

/**
 * RFC 8288 Link header with rel="next"/"prev". Links carry a cursor (after/before a dataset id), so following
 * them costs an index seek however deep the catalog.
 */
export function pageLinks(url: string, page: { limit: number }, result: { firstId?: string; lastId?: string; hasNext: boolean; hasPrev: boolean }): string | undefined {
  const at = (key: 'after' | 'before', id: string) => {
    const u = new URL(url);
    for (const k of ['offset', 'after', 'before']) u.searchParams.delete(k);
    u.searchParams.set(key, id);
    u.searchParams.set('limit', String(page.limit));
    return u.toString();
  };
  const links: string[] = [];
  if (result.hasPrev && result.firstId) links.push(`<${at('before', result.firstId)}>; rel="prev"`);
  if (result.hasNext && result.lastId) links.push(`<${at('after', result.lastId)}>; rel="next"`);
  return links.length ? links.join(', ') : undefined;
}

/** A strong ETag of a page's bytes; pages are cached objects, so each is hashed once. */
const etags = new WeakMap<Uint8Array, string>();
function etagOf(body: Uint8Array): string {
  const known = etags.get(body);
  if (known) return known;
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  etags.set(body, etag);
  return etag;
}

const matchesIfNoneMatch = (header: string | undefined, etag: string) =>
  header !== undefined && (header.trim() === '*' || header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag));

/** DSP 2025-1 catalog protocol, provider side: authenticated callers; members also see members-only datasets. */
export function catalogDspRoutes(ctx: ConnectorContext, catalog: CatalogService): Hono {
  const app = new Hono();
  app.use(
    '/catalog/*',
    requireCaller(ctx.trust, (c, reason) => c.json(catalogError('401', [reason]), 401), { trustProxy: ctx.config.trustProxy, logger: ctx.logger }),
  );
  app.onError((error, c) => {
    if (error instanceof CatalogProblem) return c.json(catalogError(String(error.status), error.reasons), error.status);
    ctx.logger.error('catalog endpoint failed', { path: c.req.path, error });
    return c.json(catalogError('500', ['internal error; the request id identifies it in the provider log']), 500);
  });
  /** A member of the dataspace, by a presentation for this request; a presentation that fails refuses the request (403). */
  const isMember = async (c: Context) => {
    const result = await catalog.membership(c.get('caller'));
    if (result.refused !== undefined) throw new CatalogProblem(403, `the caller's credentials were refused: ${result.refused}`);
    return result.member;
  };
  // Only a catalog with members-only datasets, or one that requires credentials of every caller, asks for a presentation.
  const required = ctx.config.catalogRequiredCredentials.length > 0;
  const membersView = async (c: Context) => (required || (await catalog.hasMembersOnly())) && (await isMember(c));

  app.post('/catalog/request', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new CatalogProblem(400, 'the body must be a CatalogRequestMessage (JSON)');
    }
    const parsed = CatalogRequestMessage.safeParse(body);
    if (!parsed.success) throw new CatalogProblem(400, parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; '));
    const page = pageOf(c);
    const members = await membersView(c);
    const text = parsed.data.filter?.map((f) => f.text).join(' ');
    const result = await catalog.page({ members, ...page, ...(text ? { text } : {}) });
    const links = pageLinks(c.req.url, page, result);
    if (links) c.header('Link', links);
    const etag = etagOf(result.body);
    c.header('ETag', etag);
    // A crawler that has this page already is told so in a few bytes. The catalog request is a POST, so the
    // answer to a matching If-None-Match is 412 Precondition Failed (RFC 9110 §13.1.2), not 304.
    if (matchesIfNoneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 412);
    return c.body(result.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/json' });
  });

  app.get('/catalog/datasets/:id', async (c) => {
    const id = c.req.param('id');
    const row = await catalog.store.visibility(id);
    const member = required || row?.visibility === 'members' ? await isMember(c) : false;
    if (!row || (row.visibility === 'members' && !member)) throw new CatalogProblem(404, `No dataset ${id}`);
    return c.body(`{"@context":["${CONTEXT.dspace}"],${row.dsp.slice(1)}`, 200, { 'content-type': 'application/json' });
  });
  return app;
}
