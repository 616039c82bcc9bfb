import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { CHUNK, hashFile } from './payload.ts';
import { meter, request, textOf, type NodeEgress } from './node-http.ts';
import { parseDigest } from './serve.ts';
import { RELEASE_REPORT_HEADER } from './release-payload.ts';

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
 * Downloads `url` into `destination`: bytes go to `destination.partial`, a cut connection resumes with a Range
 * request (after a back-off), and only a download whose SHA-256 matches the Repr-Digest the provider announced
 * is renamed into place. A mismatch deletes the partial file and throws IntegrityError. A provider that
 * announces no digest (a standard data plane need not) is accepted: the SHA-256 is computed here and
 * `digestVerified` is false. A released payload's
 * report header (Hdc-Release-Report) is passed back as it came, for the caller to check.
 */
export async function pullToFile(options: {
  url: string;
  token: string;
  destination: string;
  signal?: AbortSignal;
  attempts?: number;
  onProgress?: (progress: Progress) => void;
  /** The egress guard every pull goes through (the provider's endpoint is a peer's address). */
  egress?: NodeEgress;
}): Promise<{ size: number; digest: string; digestVerified: boolean; filename: string | undefined; releaseReport: string | undefined }> {
  const partial = `${options.destination}.partial`;
  let filename: string | undefined;
  let releaseReport: string | undefined;
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
      const res = await request(options.url, { method: 'GET', headers }, undefined, options.signal, options.egress).response;
      if (res.statusCode === 416) {
        // Everything had reached the disk before a cut (or a crash): the provider says how long the whole is.
        const whole = Number(/^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1] ?? NaN);
        const announced = parseDigest(res.headers['repr-digest'] as string | undefined);
        releaseReport = headerOf(res.headers[RELEASE_REPORT_HEADER]) ?? releaseReport;
        res.resume();
        if (received > 0 && whole === received && (!announced || !expected || expected === announced)) {
          total = whole;
          expected = announced ?? expected;
          break;
        }
        throw new PermanentError(`the provider answered HTTP 416 for bytes ${received}- of ${Number.isNaN(whole) ? 'unknown' : whole}`);
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        const message = `the provider answered HTTP ${res.statusCode}: ${await textOf(res, 300).catch(() => '')}`;
        // 409: the provider has not (yet) recorded the start this pull follows, e.g. a resume still in flight.
        if (res.statusCode! >= 400 && res.statusCode! < 500 && res.statusCode !== 409) throw new PermanentError(message);
        throw new Error(message);
      }
      // A standard provider's data plane may send no Repr-Digest: the bytes are then hashed here, unverified.
      const digest = parseDigest(res.headers['repr-digest'] as string | undefined);
      if (expected && digest && digest !== expected) throw new IntegrityError('the provider changed the data during the transfer');
      expected = digest ?? expected;
      filename = /filename="([^"]+)"/.exec(res.headers['content-disposition'] ?? '')?.[1] ?? filename;
      releaseReport = headerOf(res.headers[RELEASE_REPORT_HEADER]) ?? releaseReport;
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
  if (expected !== undefined && actual !== expected) {
    await rm(partial, { force: true });
    throw new IntegrityError(`the data does not match its digest (expected sha-256 ${expected}, got ${actual}); the partial download was deleted`);
  }
  await rename(partial, options.destination);
  return { size: received, digest: actual, digestVerified: expected !== undefined, filename, releaseReport };
}

const headerOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
