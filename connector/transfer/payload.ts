import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { pipeline, Readable, Transform } from 'node:stream';
import { join, relative } from 'node:path';
import { reclaimAfter } from './reclaim.ts';

/**
 * The bytes a transfer serves, as a list of segments: one file, or for a folder a POSIX ustar archive of its
 * regular files in name order (so its length and digest are known before a byte is sent, and any byte range
 * can be produced without building the archive).
 */
export type Segment = { kind: 'bytes'; data: Uint8Array } | { kind: 'file'; path: string; size: number } | { kind: 'http'; url: string; size: number };

export interface Payload {
  /** File name the consumer stores it under. */
  name: string;
  mediaType: string;
  size: number;
  segments: Segment[];
  /** Changes whenever any byte may have changed (paths, sizes, modification times). */
  fingerprint: string;
}

/** A byte count for people: 512 B, 13.3 MiB, 1.0 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const BLOCK = 512;

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

/** One ustar header block for a regular file (names up to 255 bytes via the prefix field). */
export function tarHeader(name: string, size: number, mtime: number): Uint8Array {
  const header = Buffer.alloc(BLOCK, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`file name too long for a tar archive: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  header.write(base, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + ' ', 148, 'ascii');
  return header;
}

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) files.push(path);
    // Symlinks and special files are not served: a link could lead out of the data root.
  }
  return files;
}

/** The payload of a file or folder already checked to lie inside the data root. */
export async function payloadOf(path: string, name: string): Promise<Payload> {
  const info = await stat(path);
  if (info.isFile()) {
    return { name, mediaType: 'application/octet-stream', size: info.size, segments: [{ kind: 'file', path, size: info.size }], fingerprint: `${path}:${info.size}:${info.mtimeMs}` };
  }
  const segments: Segment[] = [];
  const prints: string[] = [];
  let size = 0;
  for (const file of await filesUnder(path)) {
    const fileInfo = await stat(file);
    const header = tarHeader(relative(path, file).split('\\').join('/'), fileInfo.size, fileInfo.mtimeMs);
    const padding = (BLOCK - (fileInfo.size % BLOCK)) % BLOCK;
    segments.push({ kind: 'bytes', data: header }, { kind: 'file', path: file, size: fileInfo.size });
    if (padding) segments.push({ kind: 'bytes', data: new Uint8Array(padding) });
    size += BLOCK + fileInfo.size + padding;
    prints.push(`${file}:${fileInfo.size}:${fileInfo.mtimeMs}`);
  }
  segments.push({ kind: 'bytes', data: new Uint8Array(2 * BLOCK) });
  size += 2 * BLOCK;
  return { name: `${name}.tar`, mediaType: 'application/x-tar', size, segments, fingerprint: prints.join('|') };
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
    const stream = Readable.fromWeb(httpStream(only.url, start, end) as import('node:stream/web').ReadableStream);
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
    const length = segLength(segment);
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

function segLength(segment: Segment): number {
  return segment.kind === 'bytes' ? segment.data.length : segment.size;
}

/**
 * An HTTP(S) source, streamed through on every pull: its size and digest are learnt once, when the transfer
 * starts, by reading it through; a source that changes afterwards fails the consumer's digest check.
 */
export async function httpPayload(url: string, name: string): Promise<Payload> {
  const response = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  if (!response.ok || !response.body) throw new Error(`the source ${new URL(url).host} answered HTTP ${response.status}`);
  let size = 0;
  const hash = createHash('sha256');
  for await (const chunk of response.body) {
    size += chunk.length;
    hash.update(chunk);
    reclaimAfter(chunk.length);
  }
  return measuredHttpPayload(url, name, size, hash.digest('base64'), response.headers.get('content-type') ?? undefined);
}

/** An HTTP(S) source whose size and digest are already known (measured when its transfer started). */
export function measuredHttpPayload(url: string, name: string, size: number, digest: string, mediaType = 'application/octet-stream'): Payload {
  const fingerprint = `${url}#${size}#${digest}`;
  digests.set(fingerprint, digest);
  return { name, mediaType, size, segments: [{ kind: 'http', url, size }], fingerprint };
}

/** The bytes of an HTTP source from `start`, asking the source for that range (or skipping up to it). */
function httpStream(url: string, start: number, end: number): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let position = 0;
  return new ReadableStream<Uint8Array>({
    async start() {
      const response = await fetch(url, { headers: start > 0 ? { range: `bytes=${start}-${end - 1}` } : {}, redirect: 'follow' });
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

/** Feeds a file's bytes into `hash`; returns how many there were. */
export async function hashFile(path: string, hash: Hash): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    reclaimAfter((chunk as Buffer).length);
  }
  return size;
}

const digests = new Map<string, string>();

/** SHA-256 of the whole payload, base64 (RFC 9530 form), computed once per fingerprint. */
export async function payloadDigest(payload: Payload): Promise<string> {
  const known = digests.get(payload.fingerprint);
  if (known) return known;
  const hash = createHash('sha256');
  for (const segment of payload.segments) {
    if (segment.kind === 'bytes') hash.update(segment.data);
    else if (segment.kind === 'file') await hashFile(segment.path, hash);
    else throw new Error('an HTTP source is hashed when it is measured');
  }
  const digest = hash.digest('base64');
  if (digests.size > 1000) digests.clear();
  digests.set(payload.fingerprint, digest);
  return digest;
}
