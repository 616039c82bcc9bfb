import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { payloadStream, type Payload } from './payload.ts';

/**
 * The data plane's HTTP mechanics: serving a payload with Content-Length, RFC 9530 Repr-Digest and byte
 * ranges; pulling one into a file that resumes after a cut and is complete only once its digest matches;
 * pushing one to a consumer's endpoint. It never looks at agreements: the transfer process does.
 */

export const reprDigest = (sha256Base64: string) => `sha-256=:${sha256Base64}:`;

/** The SHA-256 (base64) in a Repr-Digest or Content-Digest header, or undefined. */
export function parseDigest(header: string | null | undefined): string | undefined {
  return /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/.exec(header ?? '')?.[1];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function tokenMatches(presented: string | undefined, hash: string | null): boolean {
  if (!presented || !hash) return false;
  const a = Buffer.from(hashToken(presented));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A 200 with the whole payload, a 206 for a satisfiable single byte range, a 416 otherwise. */
export function servePayload(payload: Payload, digest: string, range: string | undefined): Response {
  const headers: Record<string, string> = {
    'content-type': payload.mediaType,
    'content-disposition': `attachment; filename="${payload.name.replace(/["\\\r\n]/g, '_')}"`,
    'accept-ranges': 'bytes',
    'repr-digest': reprDigest(digest),
    'cache-control': 'no-store',
  };
  if (!range) return new Response(payloadStream(payload), { status: 200, headers: { ...headers, 'content-length': String(payload.size) } });
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = match?.[1] ? Number(match[1]) : undefined;
  let end = match?.[2] ? Number(match[2]) + 1 : payload.size;
  if (start === undefined && match?.[2]) {
    start = Math.max(0, payload.size - Number(match[2]));
    end = payload.size;
  }
  if (!match || start === undefined || start >= payload.size || end <= start) {
    return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${payload.size}` } });
  }
  end = Math.min(end, payload.size);
  return new Response(payloadStream(payload, start, end), { status: 206, headers: { ...headers, 'content-length': String(end - start), 'content-range': `bytes ${start}-${end - 1}/${payload.size}` } });
}

export interface Progress {
  bytes: number;
  total: number | null;
  bytesPerSecond: number;
}

export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

async function hashOfFile(path: string, hash: ReturnType<typeof createHash>): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return size;
}

/**
 * Downloads `url` into `destination`: bytes go to `destination.partial`, a cut connection resumes with a Range
 * request (after a back-off), and only a download whose SHA-256 matches the Repr-Digest the provider announced
 * is renamed into place. A mismatch deletes the partial file and throws IntegrityError.
 */
export async function pullToFile(options: {
  url: string;
  token: string;
  destination: string;
  signal?: AbortSignal;
  attempts?: number;
  onProgress?: (progress: Progress) => void;
  fetch?: typeof fetch;
}): Promise<{ size: number; digest: string }> {
  const fetchFn = options.fetch ?? fetch;
  const partial = `${options.destination}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  let hash = createHash('sha256');
  let received = existsSync(partial) ? await hashOfFile(partial, hash) : 0;
  let expected: string | undefined;
  let total: number | null = null;
  const started = performance.now();
  const startBytes = received;
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.attempts ?? 8); attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
    options.signal?.throwIfAborted();
    try {
      const response = await fetchFn(options.url, { headers: { authorization: `Bearer ${options.token}`, ...(received > 0 ? { range: `bytes=${received}-` } : {}) }, ...(options.signal ? { signal: options.signal } : {}) });
      if (response.status === 416 && total !== null && received === total) break;
      if (response.status !== 200 && response.status !== 206) {
        const text = await response.text().catch(() => '');
        const error = new Error(`the provider answered HTTP ${response.status}: ${text.slice(0, 300)}`);
        if (response.status >= 400 && response.status < 500) throw Object.assign(error, { permanent: true });
        throw error;
      }
      const digest = parseDigest(response.headers.get('repr-digest'));
      if (!digest) throw Object.assign(new Error('the provider sent no Repr-Digest (sha-256)'), { permanent: true });
      if (expected && digest !== expected) throw new IntegrityError('the provider changed the data during the transfer');
      expected = digest;
      if (response.status === 200 && received > 0) {
        // The provider ignored the range: start again from the first byte.
        received = 0;
        hash = createHash('sha256');
      }
      const range = /bytes (\d+)-(\d+)\/(\d+)/.exec(response.headers.get('content-range') ?? '');
      total = range ? Number(range[3]) : Number(response.headers.get('content-length') ?? NaN);
      if (range && Number(range[1]) !== received) throw new Error(`the provider resumed at byte ${range[1]}, not ${received}`);
      const file = await open(partial, received > 0 ? 'a' : 'w');
      try {
        for await (const chunk of response.body!) {
          await file.write(chunk);
          hash.update(chunk);
          received += chunk.length;
          options.onProgress?.({ bytes: received, total, bytesPerSecond: ((received - startBytes) / Math.max(0.001, (performance.now() - started) / 1000)) });
        }
      } finally {
        await file.close();
      }
      if (total !== null && Number.isFinite(total) && received < total) throw new Error(`the connection closed after ${received} of ${total} bytes`);
      break;
    } catch (error) {
      lastError = error;
      if ((error as { permanent?: boolean }).permanent || error instanceof IntegrityError || options.signal?.aborted) throw error;
    }
  }
  if (total === null || received !== total) throw lastError instanceof Error ? lastError : new Error('the download did not complete');
  const actual = hash.digest('base64');
  if (actual !== expected) {
    await rm(partial, { force: true });
    throw new IntegrityError(`the data does not match its digest (expected sha-256 ${expected}, got ${actual}); the partial download was deleted`);
  }
  await rename(partial, options.destination);
  return { size: received, digest: actual };
}

/** Streams a payload to a consumer's push endpoint (PUT) with its length and digest. */
export async function pushPayload(payload: Payload, digest: string, endpoint: string, token: string, signal?: AbortSignal): Promise<void> {
  const response = await fetch(endpoint, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': payload.mediaType, 'content-length': String(payload.size), 'repr-digest': reprDigest(digest), 'content-disposition': `attachment; filename="${payload.name}"` },
    body: payloadStream(payload),
    duplex: 'half',
    ...(signal ? { signal } : {}),
  } as RequestInit);
  if (!response.ok) throw new Error(`the consumer refused the data: HTTP ${response.status} ${(await response.text().catch(() => '')).slice(0, 300)}`);
}

/** Writes a pushed body to `destination` and keeps it only if its SHA-256 matches the announced digest. */
export async function receiveToFile(body: ReadableStream<Uint8Array>, expectedDigest: string, expectedSize: number | undefined, destination: string, onProgress?: (bytes: number) => void): Promise<{ size: number; digest: string }> {
  const partial = `${destination}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const file = await open(partial, 'w');
  try {
    for await (const chunk of body) {
      await file.write(chunk);
      hash.update(chunk);
      size += chunk.length;
      onProgress?.(size);
    }
  } finally {
    await file.close();
  }
  const digest = hash.digest('base64');
  if (digest !== expectedDigest || (expectedSize !== undefined && size !== expectedSize)) {
    await rm(partial, { force: true });
    throw new IntegrityError(`the pushed data does not match its digest or length (${size} bytes, sha-256 ${digest})`);
  }
  await rename(partial, destination);
  return { size, digest };
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
