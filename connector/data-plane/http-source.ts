import { createHash } from 'node:crypto';
import type { EgressFetch } from '../egress/egress-guard.ts';
import { rememberDigest } from './digest-cache.ts';
import type { Payload } from './payload.ts';
import { reclaimAfter } from './reclaim.ts';

/** A bulk read: no cap on the size and no total deadline (a large export takes its time); connecting still times out. */
const BULK = { maxResponseBytes: Number.POSITIVE_INFINITY, timeoutMs: Number.POSITIVE_INFINITY } as const;

/**
 * An HTTP(S) source, streamed through on every pull: its size and digest are learnt once, when the transfer
 * starts, by reading it through; a source that changes afterwards fails the consumer's digest check. Every
 * request goes through the egress guard like any other: a source on an internal network must be allowed
 * there (`egress.allowAddresses`).
 */
export async function httpPayload(url: string, name: string, egress: EgressFetch): Promise<Payload> {
  const response = await egress(url, { ...BULK, signal: AbortSignal.timeout(30_000) });
  if (!response.ok || !response.body) throw new Error(`the source ${new URL(url).host} answered HTTP ${response.status}`);
  let size = 0;
  const hash = createHash('sha256');
  for await (const chunk of response.body) {
    size += chunk.length;
    hash.update(chunk);
    reclaimAfter(chunk.length);
  }
  return measuredHttpPayload(url, name, size, hash.digest('base64'), egress, response.headers.get('content-type') ?? undefined);
}

/** An HTTP(S) source whose size and digest are already known (measured when its transfer started). */
export function measuredHttpPayload(url: string, name: string, size: number, digest: string, egress: EgressFetch, mediaType = 'application/octet-stream'): Payload {
  const fingerprint = `${url}#${size}#${digest}`;
  rememberDigest(fingerprint, digest);
  return { name, mediaType, size, segments: [{ kind: 'http', url, size, egress }], fingerprint };
}

/** The bytes of an HTTP source from `start`, asking the source for that range (or skipping up to it). */
export function httpStream(url: string, start: number, end: number, egress: EgressFetch): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let position = 0;
  return new ReadableStream<Uint8Array>({
    async start() {
      const response = await egress(url, { ...BULK, headers: start > 0 ? { range: `bytes=${start}-${end - 1}` } : {} });
      if (!response.ok || !response.body) throw new Error(`the source answered HTTP ${response.status}`);
      position = response.status === 206 ? start : 0;
      reader = response.body.getReader();
    },
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader!.read();
        if (done || position >= end) {
          controller.close();
          await reader!.cancel().catch(() => undefined);
          return;
        }
        const from = Math.max(0, start - position);
        const to = Math.min(value.length, end - position);
        position += value.length;
        if (to > from) {
          controller.enqueue(from === 0 && to === value.length ? value : value.subarray(from, to));
          return;
        }
      }
    },
    async cancel() {
      await reader?.cancel().catch(() => undefined);
    },
  });
}
