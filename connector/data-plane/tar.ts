import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Segment } from './payload.ts';

/**
 * A folder served as a POSIX ustar archive of its regular files in name order, described as segments
 * (headers, file ranges, padding) so its length is known before a byte is sent and any byte range can be
 * produced without building the archive.
 */
export const BLOCK = 512;

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
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
  header.write(`${octal(sum, 7)} `, 148, 'ascii');
  return header;
}

export async function filesUnder(root: string, dir = root): Promise<string[]> {
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

/** The archive of the folder at `path` as segments, its size, and a fingerprint of every file it holds. */
export async function tarSegments(path: string): Promise<{ segments: Segment[]; size: number; fingerprint: string }> {
  const segments: Segment[] = [];
  const prints: string[] = [];
  for (const file of await filesUnder(path)) {
    const fileInfo = await stat(file);
    segments.push(...tarEntry(relative(path, file).split('\\').join('/'), fileInfo.mtimeMs, { kind: 'file', path: file, size: fileInfo.size }));
    prints.push(`${file}:${fileInfo.size}:${fileInfo.mtimeMs}`);
  }
  segments.push(TAR_END);
  return { segments, size: segments.reduce((sum, s) => sum + segmentLength(s), 0), fingerprint: prints.join('|') };
}

/** One archive member: its header, its content (a segment of `content.size` bytes) and the padding to a block. */
export function tarEntry<S extends Segment & { size: number }>(name: string, mtime: number, content: S): Segment[] {
  const padding = (BLOCK - (content.size % BLOCK)) % BLOCK;
  return [{ kind: 'bytes', data: tarHeader(name, content.size, mtime) }, content, ...(padding ? [{ kind: 'bytes' as const, data: new Uint8Array(padding) }] : [])];
}

/** The two zero blocks that end an archive. */
export const TAR_END: Segment = { kind: 'bytes', data: new Uint8Array(2 * BLOCK) };

export const segmentLength = (segment: Segment): number => (segment.kind === 'bytes' ? segment.data.length : segment.size);
