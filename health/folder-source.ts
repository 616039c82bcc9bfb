import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileReleaser, releasedFileNames, tallyPatients } from './release.ts';
import { chunksOf, indexRelease, type ByteRange, type ReleaseIndex, type ReleaseOptions, type ReleaseSource } from './release-index.ts';
import { planParts, releaseParts, type PartHelper, type ReleasePart } from './release-parts.ts';
import { ReleaseTally, type ReleaseReport } from './report.ts';

/**
 * The release's one file-system helper: a folder as a ReleaseSource (its regular files, read as streams or into
 * one reused buffer), and a release written to another folder, by this process alone or with a helper that
 * releases parts of it (release-parts.ts). The data plane checks that the folder lies inside its data root first.
 */

const CHUNK = 1024 * 1024;

/** Read buffers no reading holds: a release reads file after file (and part after part) through the same few. */
const idleBuffers: Buffer[] = [];

/**
 * A file's bytes (or those of a range) read into one buffer, over and over: a chunk is valid until the next is
 * asked for. The buffer goes back to the idle ones when the reading ends.
 */
async function* reusedChunks(path: string, range?: ByteRange): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  const buffer = idleBuffers.pop() ?? Buffer.allocUnsafe(CHUNK);
  try {
    let position = range?.start ?? 0;
    const end = range?.end ?? Infinity;
    while (position < end) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK, end - position), position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    if (idleBuffers.length < 4) idleBuffers.push(buffer);
    await file.close();
  }
}

export function folderSource(dir: string): ReleaseSource {
  return {
    list: async () => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name),
    open: (name) => createReadStream(join(dir, name), { highWaterMark: CHUNK }),
    chunks: (name, range) => reusedChunks(join(dir, name), range),
    size: async (name) => (await stat(join(dir, name))).size,
  };
}

/**
 * Writes released lines to a file through a buffer (reused for every file of a release), hashing what it writes:
 * a release makes no buffer a chunk, so nothing waits outside the JavaScript heap for a collection (a 1 GiB
 * cohort's chunks did, some 80 MB at a time). `append` adds a part released elsewhere.
 */
async function releasedFileWriter(path: string, buffer: Buffer) {
  const file = await open(path, 'w');
  const hash = createHash('sha256');
  let used = 0;
  let bytes = 0;
  const overflow: string[] = [];
  async function write(data: Buffer) {
    hash.update(data);
    bytes += data.length;
    for (let at = 0; at < data.length; ) at += (await file.write(data, at, data.length - at)).bytesWritten;
  }
  return {
    /** Queues a line and its newline (a UTF-8 character takes at most 3 bytes per UTF-16 unit); `flush` writes the queue. */
    add(line: string) {
      if (overflow.length === 0 && used + line.length * 3 < buffer.length) {
        used += buffer.write(line, used);
        buffer[used++] = 10;
      } else overflow.push(line, '\n');
    },
    async flush() {
      if (used > 0) await write(buffer.subarray(0, used));
      used = 0;
      if (overflow.length > 0) await write(Buffer.from(overflow.splice(0).join('')));
    },
    async append(partPath: string) {
      for await (const chunk of reusedChunks(partPath)) await write(chunk);
    },
    async close(): Promise<{ bytes: number; sha256: string }> {
      await file.close();
      return { bytes, sha256: hash.digest('hex') };
    },
  };
}

type FileWriter = Awaited<ReturnType<typeof releasedFileWriter>>;

/** A buffer released lines are written through: one per release, for all its files, as it writes one at a time. */
export const writeBuffer = () => Buffer.allocUnsafe(4 * CHUNK);

/** Releases one part of a source file through `writer`; returns the lines it split. */
async function releasePartThrough(source: ReleaseSource, index: ReleaseIndex, part: ReleasePart, lines: number, writer: FileWriter, tally: ReleaseTally): Promise<number> {
  const releaser = fileReleaser(index, part.name, tally, { lines, atFileStart: part.start === 0 });
  for await (const chunk of part.range ? source.chunks!(part.name, part.range) : chunksOf(source, part.name)) {
    releaser.push(chunk, writer.add);
    await writer.flush();
  }
  releaser.end(writer.add);
  await writer.flush();
  return releaser.lines - lines;
}

/**
 * Releases one part into a file of its own (what a helper process does) through `buffer` (see writeBuffer): its
 * bytes, SHA-256, and the lines it split. A malformed line fails with its line number counted from the part's start.
 */
export async function releasePartToFile(source: ReleaseSource, index: ReleaseIndex, part: ReleasePart, path: string, tally: ReleaseTally, buffer: Buffer) {
  const writer = await releasedFileWriter(path, buffer);
  try {
    const lines = await releasePartThrough(source, index, part, 0, writer, tally);
    return { lines, ...(await writer.close()) };
  } catch (error) {
    await writer.close();
    throw error;
  }
}

/**
 * Releases a source folder into `target` (created if needed): one pass per file, no dry run. With a `helper` (another process, see release-parts.ts) the files are cut into parts at
 * line boundaries and both release parts at once; the bytes are the same. Returns the report (its `files` list
 * names, sizes and digests of what was written).
 */
export async function releaseToFolder(
  source: ReleaseSource,
  target: string,
  options: ReleaseOptions,
  parallel?: { helper: PartHelper; partBytes?: number },
): Promise<ReleaseReport> {
  const index = await indexRelease(source, options);
  const tally = tallyPatients(index);
  await mkdir(target, { recursive: true });
  const names = releasedFileNames(index);
  const parts = parallel ? await planParts(source, names, parallel.partBytes) : names.map((name) => ({ name, start: 0 }));
  const buffer = writeBuffer();
  const writers = new Map<string, FileWriter>();
  const writerFor = async (name: string) => {
    const open = writers.get(name);
    if (open) return open;
    const writer = await releasedFileWriter(join(target, name), buffer);
    writers.set(name, writer);
    return writer;
  };
  const linesIn = new Map<string, number>();
  const resourcesIn = new Map<string, number>();
  const partsDir = join(target, '.parts');
  try {
    const helped = await releaseParts(parts, parallel?.helper, partsDir, {
      async own(part) {
        const before = tally.releasedResources;
        const lines = await releasePartThrough(source, index, part, linesIn.get(part.name) ?? 0, await writerFor(part.name), tally);
        linesIn.set(part.name, (linesIn.get(part.name) ?? 0) + lines);
        resourcesIn.set(part.name, (resourcesIn.get(part.name) ?? 0) + tally.releasedResources - before);
        return lines;
      },
      async toFile(part, path) {
        const own = new ReleaseTally();
        return { ...(await releasePartToFile(source, index, part, path, own, buffer)), counts: own.resourceCounts() };
      },
    });
    const files: ReleaseReport['files'] = [];
    for (const name of names) {
      const mine = helped.filter((h) => h.part.name === name);
      for (const h of mine) tally.addResourceCounts(h.counts);
      const resources = (resourcesIn.get(name) ?? 0) + mine.reduce((sum, h) => sum + h.counts.released, 0);
      if (!writers.has(name) && mine.length === 1 && mine[0]!.part.range === undefined) {
        // A whole file released by the helper: its part is the file.
        await rename(mine[0]!.path, join(target, name));
        files.push({ name, resources, bytes: mine[0]!.bytes, sha256: mine[0]!.sha256 });
        continue;
      }
      const writer = await writerFor(name);
      for (const h of mine) await writer.append(h.path);
      writers.delete(name);
      files.push({ name, resources, ...(await writer.close()) });
    }
    return tally.report({ releaseDate: options.releaseDate.toISOString(), consentModel: options.rules.consent.model, files });
  } finally {
    for (const writer of writers.values()) await writer.close();
    await rm(partsDir, { recursive: true, force: true });
  }
}
