import type { ServerResponse } from 'node:http';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { payloadReadable, type Payload } from './payload.ts';
import { reclaimAfter } from './reclaim.ts';

/** Serving a payload: Content-Length, RFC 9530 Repr-Digest and byte ranges. */

export const reprDigest = (sha256Base64: string) => `sha-256=:${sha256Base64}:`;

/** The SHA-256 (base64) in a Repr-Digest or Content-Digest header, or undefined. */
export function parseDigest(header: string | null | undefined): string | undefined {
  return /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/.exec(header ?? '')?.[1];
}

/** Content-Disposition naming the file, with what would break the header replaced. */
export const contentDisposition = (name: string) => `attachment; filename="${name.replace(/["\\\r\n]/g, '_')}"`;

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
    ...payload.headers,
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
