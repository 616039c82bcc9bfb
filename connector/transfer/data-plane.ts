import { createHash, timingSafeEqual } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { CHUNK, hashFile, payloadReadable, type Payload } from './payload.ts';
import { reclaimAfter } from './reclaim.ts';

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

/** Content-Disposition naming the file, with what would break the header replaced. */
const contentDisposition = (name: string) => `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function tokenMatches(presented: string | undefined, hash: string | null): boolean {
  if (!presented || !hash) return false;
  const a = Buffer.from(hashToken(presented));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface ServePlan {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  /** Payload bytes to send: [start, end). */
  start: number;
  end: number;
}

/** What to answer a GET with an optional Range: 200 with everything, 206 for one satisfiable range, 416 otherwise. */
export function planServe(payload: Payload, digest: string, range: string | undefined): ServePlan {
  const headers: Record<string, string> = {
    'content-type': payload.mediaType,
    'content-disposition': contentDisposition(payload.name),
    'accept-ranges': 'bytes',
    'repr-digest': reprDigest(digest),
    'cache-control': 'no-store',
  };
  if (!range) return { status: 200, headers: { ...headers, 'content-length': String(payload.size) }, start: 0, end: payload.size };
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  let start = match?.[1] ? Number(match[1]) : undefined;
  let end = match?.[2] ? Number(match[2]) + 1 : payload.size;
  if (start === undefined && match?.[2]) {
    start = Math.max(0, payload.size - Number(match[2]));
    end = payload.size;
  }
  if (!match || start === undefined || start >= payload.size || end <= start) {
    return { status: 416, headers: { ...headers, 'content-range': `bytes */${payload.size}`, 'content-length': '0' }, start: 0, end: 0 };
  }
  end = Math.min(end, payload.size);
  return { status: 206, headers: { ...headers, 'content-length': String(end - start), 'content-range': `bytes ${start}-${end - 1}/${payload.size}` }, start, end };
}

/** Sends a planned answer on a Node response, streaming with back-pressure; resolves when the last byte is handed to the socket. */
export async function writePayload(res: ServerResponse, payload: Payload, plan: ServePlan, headOnly = false): Promise<void> {
  res.writeHead(plan.status, plan.headers);
  if (headOnly || plan.end <= plan.start) {
    res.end();
    return;
  }
  const source = payloadReadable(payload, plan.start, plan.end);
  source.on('data', (chunk: Buffer) => reclaimAfter(chunk.length));
  await pipelineAsync(source, res);
}

export interface Progress {
  bytes: number;
  total: number | null;
  bytesPerSecond: number;
}

export class IntegrityError extends Error {
  override name = 'IntegrityError';
}

/** A failure that retrying will not cure (the provider refused, or broke the protocol). */
class PermanentError extends Error {}

/**
 * One HTTP(S) request on Node's own client (no web-stream layer between socket and disk). Without `body` the
 * request is sent at once; with one, `sent` resolves when the body has been streamed out.
 */
function request(url: string, options: RequestOptions, body?: Readable, signal?: AbortSignal): { sent: Promise<void>; response: Promise<IncomingMessage> } {
  const send = new URL(url).protocol === 'https:' ? httpsRequest : httpRequest;
  let req!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = send(url, { ...options, ...(signal ? { signal } : {}) }, resolve);
    req.once('error', reject);
  });
  if (!body) {
    req.end();
    return { sent: Promise.resolve(), response };
  }
  return { sent: pipelineAsync(body, req), response };
}

async function textOf(res: IncomingMessage, limit = 2000): Promise<string> {
  let text = '';
  for await (const chunk of res) if (text.length < limit) text += chunk.toString('utf8');
  return text.slice(0, limit);
}

/** Counts and hashes what passes through on its way to the disk. */
function meter(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    highWaterMark: CHUNK,
    transform(chunk: Buffer, _encoding, done) {
      onChunk(chunk);
      reclaimAfter(chunk.length);
      done(null, chunk);
    },
  });
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
}): Promise<{ size: number; digest: string; filename: string | undefined }> {
  const partial = `${options.destination}.partial`;
  let filename: string | undefined;
  mkdirSync(dirname(partial), { recursive: true });
  let expected: string | undefined;
  let total: number | null = null;
  let hash = createHash('sha256');
  // What is on disk is the truth: after any failure the partial file is measured and hashed again.
  let received = existsSync(partial) ? await hashFile(partial, hash) : 0;
  const started = performance.now();
  const startBytes = received;
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.attempts ?? 8); attempt++) {
    if (attempt > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
      hash = createHash('sha256');
      received = existsSync(partial) ? await hashFile(partial, hash) : 0;
    }
    options.signal?.throwIfAborted();
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, ...(received > 0 ? { range: `bytes=${received}-` } : {}) };
      const res = await request(options.url, { method: 'GET', headers }, undefined, options.signal).response;
      if (res.statusCode === 416 && total !== null && received === total) {
        res.resume();
        break;
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        const message = `the provider answered HTTP ${res.statusCode}: ${await textOf(res, 300).catch(() => '')}`;
        // 409: the provider has not (yet) recorded the start this pull follows, e.g. a resume still in flight.
        if (res.statusCode! >= 400 && res.statusCode! < 500 && res.statusCode !== 409) throw new PermanentError(message);
        throw new Error(message);
      }
      const digest = parseDigest(res.headers['repr-digest'] as string | undefined);
      if (!digest) throw new PermanentError('the provider sent no Repr-Digest (sha-256)');
      if (expected && digest !== expected) throw new IntegrityError('the provider changed the data during the transfer');
      expected = digest;
      filename = /filename="([^"]+)"/.exec(res.headers['content-disposition'] ?? '')?.[1] ?? filename;
      if (res.statusCode === 200 && received > 0) {
        // The provider ignored the range: start again from the first byte.
        received = 0;
        hash = createHash('sha256');
      }
      const range = /bytes (\d+)-(\d+)\/(\d+)/.exec(res.headers['content-range'] ?? '');
      total = range ? Number(range[3]) : Number(res.headers['content-length'] ?? NaN);
      if (range && Number(range[1]) !== received) throw new PermanentError(`the provider resumed at byte ${range[1]}, not ${received}`);
      const count = meter((chunk) => {
        hash.update(chunk);
        received += chunk.length;
        options.onProgress?.({ bytes: received, total, bytesPerSecond: (received - startBytes) / Math.max(0.001, (performance.now() - started) / 1000) });
      });
      await pipelineAsync(res, count, createWriteStream(partial, { flags: received > 0 ? 'a' : 'w', highWaterMark: CHUNK }));
      if (total !== null && Number.isFinite(total) && received < total) throw new Error(`the connection closed after ${received} of ${total} bytes`);
      break;
    } catch (error) {
      lastError = error;
      if (error instanceof PermanentError || error instanceof IntegrityError || options.signal?.aborted) throw error;
    }
  }
  if (total === null || received !== total) throw lastError instanceof Error ? lastError : new Error('the download did not complete');
  const actual = hash.digest('base64');
  if (actual !== expected) {
    await rm(partial, { force: true });
    throw new IntegrityError(`the data does not match its digest (expected sha-256 ${expected}, got ${actual}); the partial download was deleted`);
  }
  await rename(partial, options.destination);
  return { size: received, digest: actual, filename };
}

/** Streams a payload to a consumer's push endpoint (PUT) with its length and digest. */
export async function pushPayload(payload: Payload, digest: string, endpoint: string, token: string, signal?: AbortSignal): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': payload.mediaType, 'content-length': String(payload.size), 'repr-digest': reprDigest(digest), 'content-disposition': contentDisposition(payload.name) };
  const { sent: streamed, response } = request(endpoint, { method: 'PUT', headers }, payloadReadable(payload), signal);
  const [sent, answered] = await Promise.allSettled([streamed, response]);
  // A consumer that refuses may close the connection mid-body: its answer says more than the broken pipe.
  if (answered.status === 'rejected') throw sent.status === 'rejected' ? sent.reason : answered.reason;
  const res = answered.value;
  if (res.statusCode! < 200 || res.statusCode! >= 300) throw new Error(`the consumer refused the data: HTTP ${res.statusCode} ${await textOf(res, 300).catch(() => '')}`);
  res.resume();
  if (sent.status === 'rejected') throw sent.reason;
}

/** Writes a body (a push, a download) to `destination` and keeps it only if its SHA-256 and length match those announced. */
export async function receiveToFile(body: Readable, expectedDigest: string, expectedSize: number | undefined, destination: string, onProgress?: (bytes: number) => void): Promise<{ size: number; digest: string }> {
  const partial = `${destination}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipelineAsync(body, meter((chunk) => {
      hash.update(chunk);
      size += chunk.length;
      onProgress?.(size);
    }), createWriteStream(partial, { highWaterMark: CHUNK }));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const digest = hash.digest('base64');
  if (digest !== expectedDigest || (expectedSize !== undefined && size !== expectedSize)) {
    await rm(partial, { force: true });
    throw new IntegrityError(`the received data does not match its digest or length (${size} bytes, sha-256 ${digest})`);
  }
  await rename(partial, destination);
  return { size, digest };
}

export function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
