import { createHash } from 'node:crypto';
import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

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

const CHUNK = 1024 * 1024;

/**
 * The payload's bytes from `start` to `end` (exclusive) as a web stream read on demand (back-pressure: a chunk
 * is read only when the consumer of the stream asks), each chunk a fresh buffer handed over without copying.
 */
export function payloadStream(payload: Payload, start = 0, end = payload.size): ReadableStream<Uint8Array> {
  const [only] = payload.segments;
  if (only?.kind === 'http') return httpStream(only.url, start, end);
  let index = 0;
  let offset = 0; // payload offset where segments[index] begins
  let position = start;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let handlePath = '';
  while (index < payload.segments.length && offset + segLength(payload.segments[index]!) <= start) offset += segLength(payload.segments[index++]!);
  const close = async () => {
    await handle?.close().catch(() => undefined);
    handle = undefined;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (position >= end || index >= payload.segments.length) {
        await close();
        controller.close();
        return;
      }
      const segment = payload.segments[index]!;
      const within = position - offset;
      const want = Math.min(segLength(segment) - within, end - position, CHUNK);
      let chunk: Uint8Array;
      if (segment.kind === 'bytes') chunk = segment.data.subarray(within, within + want);
      else if (segment.kind === 'http') throw new Error('an HTTP source is streamed on its own');
      else {
        if (handlePath !== segment.path) {
          await close();
          handle = await open(segment.path, 'r');
          handlePath = segment.path;
        }
        const buffer = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle!.read(buffer, 0, want, within);
        if (bytesRead === 0) throw new Error(`${segment.path} is shorter than when the transfer started`);
        chunk = bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
      }
      position += chunk.length;
      if (position - offset >= segLength(segment)) offset += segLength(payload.segments[index++]!);
      controller.enqueue(chunk);
    },
    async cancel() {
      await close();
    },
  }, { highWaterMark: 2 });
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
  }
  const fingerprint = `${url}#${size}#${hash.digest('base64')}`;
  const payload: Payload = { name, mediaType: response.headers.get('content-type') ?? 'application/octet-stream', size, segments: [{ kind: 'http', url, size }], fingerprint };
  digests.set(fingerprint, fingerprint.split('#').pop()!);
  return payload;
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

const digests = new Map<string, string>();

/** SHA-256 of the whole payload, base64 (RFC 9530 form), computed once per fingerprint. */
export async function payloadDigest(payload: Payload): Promise<string> {
  const known = digests.get(payload.fingerprint);
  if (known) return known;
  const hash = createHash('sha256');
  const reader = payloadStream(payload).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
  }
  const digest = hash.digest('base64');
  if (digests.size > 1000) digests.clear();
  digests.set(payload.fingerprint, digest);
  return digest;
}
