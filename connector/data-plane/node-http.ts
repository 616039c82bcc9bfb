import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform, type Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { CHUNK } from './payload.ts';
import { reclaimAfter } from './reclaim.ts';
import type { EgressFetch } from '../egress/egress-guard.ts';

/** The egress guard as Node's own HTTP client uses it: check the URL, resolve (and pin) through its lookup. */
export type NodeEgress = Pick<EgressFetch, 'check' | 'lookup'>;

/**
 * One HTTP(S) request on Node's own client (no web-stream layer between socket and disk). Without `body` the
 * request is sent at once; with one, `sent` resolves when the body has been streamed out.
 */
export function request(
  url: string,
  options: RequestOptions,
  body?: Readable,
  signal?: AbortSignal,
  egress?: NodeEgress,
): { sent: Promise<void>; response: Promise<IncomingMessage> } {
  // Through the egress guard: the scheme and a literal address are checked now, a host name's addresses at connect.
  if (egress) egress.check(url);
  const send = new URL(url).protocol === 'https:' ? httpsRequest : httpRequest;
  let req!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req = send(url, { ...options, ...(signal ? { signal } : {}), ...(egress ? { lookup: egress.lookup } : {}) }, resolve);
    req.once('error', reject);
  });
  if (!body) {
    req.end();
    return { sent: Promise.resolve(), response };
  }
  return { sent: pipelineAsync(body, req), response };
}

export async function textOf(res: IncomingMessage, limit = 2000): Promise<string> {
  let text = '';
  for await (const chunk of res) if (text.length < limit) text += chunk.toString('utf8');
  return text.slice(0, limit);
}

/** Counts and hashes what passes through on its way to the disk. */
export function meter(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    highWaterMark: CHUNK,
    transform(chunk: Buffer, _encoding, done) {
      onChunk(chunk);
      reclaimAfter(chunk.length);
      done(null, chunk);
    },
  });
}
