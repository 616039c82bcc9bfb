import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, Readable, Transform } from 'node:stream';
import { knownDigest, rememberDigest } from './digest-cache.ts';
import type { EgressFetch } from '../egress/egress-guard.ts';
import { httpStream } from './http-source.ts';
import { segmentLength, tarSegments } from './tar.ts';

/**
 * The bytes a transfer serves, as a list of segments: one file, or for a folder a POSIX ustar archive of its
 * regular files in name order (so its length and digest are known before a byte is sent, and any byte range
 * can be produced without building the archive).
 */
export type Segment = { kind: 'bytes'; data: Uint8Array } | { kind: 'file'; path: string; size: number } | { kind: 'http'; url: string; size: number; egress: EgressFetch };

export interface Payload {
  /** File name the consumer stores it under. */
  name: string;
  mediaType: string;
  size: number;
  segments: Segment[];
  /** Changes whenever any byte may have changed (paths, sizes, modification times). */
  fingerprint: string;
  /** Response headers that describe the payload beyond HTTP's own (the release report of a released payload). */
  headers?: Record<string, string>;
}

/** The payload of a file or folder already checked to lie inside the data root. */
export async function payloadOf(path: string, name: string): Promise<Payload> {
  const info = await stat(path);
  if (info.isFile()) {
    return {
      name,
      mediaType: 'application/octet-stream',
      size: info.size,
      segments: [{ kind: 'file', path, size: info.size }],
      fingerprint: `${path}:${info.size}:${info.mtimeMs}`,
    };
  }
  const archive = await tarSegments(path);
  return { name: `${name}.tar`, mediaType: 'application/x-tar', ...archive };
}

/** Read size: large enough that per-chunk costs vanish, small enough to keep memory flat. */
export const CHUNK = 1024 * 1024;

/**
 * The payload's bytes from `start` to `end` (exclusive) as a Node stream read on demand: each file segment is
 * a read stream over just its part, so back-pressure reaches the disk and memory stays at a few chunks.
 */
export function payloadReadable(payload: Payload, start = 0, end = payload.size): Readable {
  const [only] = payload.segments;
  if (only?.kind === 'http') {
    const stream = Readable.fromWeb(httpStream(only.url, start, end, only.egress) as import('node:stream/web').ReadableStream);
    // A source failing after its reader went away (a consumer that disconnected) must not crash the process;
    // whoever still reads gets the error through its own listener.
    stream.on('error', () => undefined);
    return stream;
  }
  if (only?.kind === 'file' && payload.segments.length === 1) return fileRange(only, start, end);
  return Readable.from(segmentsFrom(payload, start, end), { objectMode: false, highWaterMark: CHUNK });
}

async function* segmentsFrom(payload: Payload, start: number, end: number): AsyncGenerator<Uint8Array> {
  let offset = 0; // payload offset where the segment begins
  for (const segment of payload.segments) {
    const length = segmentLength(segment);
    const from = Math.max(start, offset) - offset;
    const to = Math.min(end, offset + length) - offset;
    offset += length;
    if (to <= from) continue;
    if (segment.kind === 'bytes') yield segment.data.subarray(from, to);
    else if (segment.kind === 'file') yield* fileRange(segment, from, to);
    else throw new Error('an HTTP source is streamed on its own');
  }
}

/** Bytes [from, to) of a file segment; fails if the file became shorter than when the payload was measured. */
function fileRange(segment: { path: string; size: number }, from: number, to: number): Readable {
  if (to <= from) return Readable.from([], { objectMode: false });
  let read = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(read === to - from ? null : new Error(`${segment.path} is shorter than when the transfer started`));
    },
  });
  return pipeline(createReadStream(segment.path, { start: from, end: to - 1, highWaterMark: CHUNK }), check, () => undefined);
}

/**
 * Feeds a file's bytes into `hash`; returns how many there were. One buffer is read into again and again:
 * hashing a 400 MiB archive leaves no garbage behind (a read stream's 400 chunks would wait for a collection).
 */
export async function hashFile(path: string, hash: Hash): Promise<number> {
  const file = await open(path, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, size);
      if (bytesRead === 0) return size;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await file.close();
  }
}

/** SHA-256 of the whole payload, base64 (RFC 9530 form), computed once per fingerprint. */
export async function payloadDigest(payload: Payload): Promise<string> {
  const known = knownDigest(payload.fingerprint);
  if (known) return known;
  const hash = createHash('sha256');
  for (const segment of payload.segments) {
    if (segment.kind === 'bytes') hash.update(segment.data);
    else if (segment.kind === 'file') await hashFile(segment.path, hash);
    else throw new Error('an HTTP source is hashed when it is measured');
  }
  const digest = hash.digest('base64');
  rememberDigest(payload.fingerprint, digest);
  return digest;
}
