import type { ConnectorContext } from '../context.ts';

/** How a peer's DSP catalog is read: one page at a time, bounded in size and time, retried with back-off. */

const MAX_PAGE_BYTES = 20 * 1024 * 1024;
const PAGE_TIMEOUT_MS = 20_000;
const BACKOFF_MS = 500;

export interface CatalogPage {
  notModified: boolean;
  datasets: unknown[];
  etag: string | null;
  next: string | null;
}

/** An answer that retrying will not change (4xx other than 408/429, or a body that is no catalog). */
class PermanentError extends Error {
  override name = 'PermanentError';
}

/** The error's message, and what caused it (a "fetch failed" is useless without "connect ECONNREFUSED …"). */
export function describeError(error: unknown): { message: string; cause?: string } {
  const message = error instanceof Error ? error.message : String(error);
  const causes: string[] = [];
  for (let c = (error as { cause?: unknown })?.cause; c && causes.length < 3; c = (c as { cause?: unknown }).cause) {
    const code = (c as { code?: unknown }).code;
    const text = c instanceof Error ? c.message : String(c);
    causes.push(typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text);
  }
  return causes.length ? { message, cause: causes.join('; ') } : { message };
}

/** Reads a body up to `max` bytes; a larger one is refused without being read further. */
export async function readBounded(response: Response, max: number): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > max) throw new PermanentError(`the answer is larger than ${max} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > max) {
      await response.body?.cancel().catch(() => {});
      throw new PermanentError(`the answer is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const nextLink = (response: Response) => /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;

function parseCatalog(text: string): unknown[] {
  let body: { '@type'?: unknown; dataset?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new PermanentError('the answer is not JSON');
  }
  if (body?.['@type'] !== 'Catalog') throw new PermanentError('the answer is not a DSP Catalog');
  if (body.dataset !== undefined && !Array.isArray(body.dataset)) throw new PermanentError('Catalog.dataset is not a list');
  return (body.dataset as unknown[] | undefined) ?? [];
}

async function fetchOnce(ctx: ConnectorContext, request: { url: string; peerDid: string; body: unknown; etag?: string; timeoutMs: number }): Promise<CatalogPage> {
  const headers: Record<string, string> = request.etag ? { 'if-none-match': request.etag } : {};
  const response = await ctx.dspFetch({
    url: request.url,
    audienceDid: request.peerDid,
    body: request.body,
    headers,
    timeoutMs: request.timeoutMs,
    maxResponseBytes: MAX_PAGE_BYTES,
  });
  const etag = response.headers.get('etag');
  // The page is unchanged: 412 is the answer to a POST whose If-None-Match matched (RFC 9110 §13.1.2), 304 a GET's.
  if (request.etag && (response.status === 412 || response.status === 304)) {
    await response.body?.cancel().catch(() => {});
    return { notModified: true, datasets: [], etag: etag ?? request.etag, next: nextLink(response) };
  }
  const text = await readBounded(response, MAX_PAGE_BYTES);
  if (!response.ok) {
    const problem = `HTTP ${response.status}: ${text.slice(0, 200)}`;
    throw response.status >= 500 || response.status === 408 || response.status === 429 ? new Error(problem) : new PermanentError(problem);
  }
  return { notModified: false, datasets: parseCatalog(text), etag, next: nextLink(response) };
}

/**
 * One catalog page, tried up to `attempts` times (back-off 0.5 s, 1 s, 2 s …) within `deadline` (epoch ms).
 * Refusals and garbage are not retried; network errors, timeouts and 5xx are.
 */
export async function fetchCatalogPage(
  ctx: ConnectorContext,
  request: { url: string; peerDid: string; body: unknown; etag?: string; deadline: number; attempts: number },
): Promise<CatalogPage> {
  for (let attempt = 1; ; attempt++) {
    const remaining = request.deadline - Date.now();
    if (remaining <= 0) throw new Error('the peer did not send its whole catalog before the crawl deadline');
    try {
      return await fetchOnce(ctx, { ...request, timeoutMs: Math.min(PAGE_TIMEOUT_MS, remaining) });
    } catch (error) {
      const pause = BACKOFF_MS * 2 ** (attempt - 1);
      if (error instanceof PermanentError || attempt >= request.attempts || Date.now() + pause >= request.deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** A peer's full DSP Dataset (`GET /catalog/datasets/:id`), as a user opening a search hit needs it. */
export async function fetchDataset(ctx: ConnectorContext, peer: { did: string; dspAddress: string }, datasetId: string): Promise<Record<string, unknown>> {
  const url = `${peer.dspAddress.replace(/\/+$/, '')}/catalog/datasets/${encodeURIComponent(datasetId)}`;
  const response = await ctx.dspFetch({ url, audienceDid: peer.did, timeoutMs: PAGE_TIMEOUT_MS, maxResponseBytes: MAX_PAGE_BYTES });
  const text = await readBounded(response, MAX_PAGE_BYTES);
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('the answer is not JSON');
  }
  if (body?.['@type'] !== 'Dataset' || body['@id'] !== datasetId) throw new Error(`the answer is not the DSP Dataset ${datasetId}`);
  return body;
}
