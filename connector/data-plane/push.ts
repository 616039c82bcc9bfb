import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { CHUNK, payloadReadable, type Payload } from './payload.ts';
import { meter, request, textOf, type NodeEgress } from './node-http.ts';
import { IntegrityError } from './pull.ts';
import { contentDisposition, reprDigest } from './serve.ts';

/** Streams a payload to a consumer's push endpoint (PUT) with its length and digest. */
export async function pushPayload(payload: Payload, digest: string, endpoint: string, token: string, signal?: AbortSignal, egress?: NodeEgress): Promise<void> {
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': payload.mediaType,
    'content-length': String(payload.size),
    'repr-digest': reprDigest(digest),
    'content-disposition': contentDisposition(payload.name),
    ...payload.headers,
  };
  const { sent: streamed, response } = request(endpoint, { method: 'PUT', headers }, payloadReadable(payload), signal, egress);
  const [sent, answered] = await Promise.allSettled([streamed, response]);
  // A consumer that refuses may close the connection mid-body: its answer says more than the broken pipe.
  if (answered.status === 'rejected') throw sent.status === 'rejected' ? sent.reason : answered.reason;
  const res = answered.value;
  if (res.statusCode! < 200 || res.statusCode! >= 300) throw new Error(`the consumer refused the data: HTTP ${res.statusCode} ${await textOf(res, 300).catch(() => '')}`);
  res.resume();
  if (sent.status === 'rejected') throw sent.reason;
}

/** Writes a body (a push, a download) to `destination` and keeps it only if its SHA-256 and length match those announced. */
export async function receiveToFile(
  body: Readable,
  expectedDigest: string,
  expectedSize: number | undefined,
  destination: string,
  onProgress?: (bytes: number) => void,
): Promise<{ size: number; digest: string }> {
  const partial = `${destination}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipelineAsync(
      body,
      meter((chunk) => {
        hash.update(chunk);
        size += chunk.length;
        onProgress?.(size);
      }),
      createWriteStream(partial, { highWaterMark: CHUNK }),
    );
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
