import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chunksOf, indexRelease, type ReleaseOptions, type ReleaseSource } from './release-index.ts';
import { fileReleaser, releasedFileNames, tallyPatients } from './release.ts';
import type { ReleaseReport } from './report.ts';

/**
 * The release's one file-system helper: a folder as a ReleaseSource (its regular files, read as streams or into
 * one reused buffer), and a release written to another folder. The data plane checks that the folder lies
 * inside its data root first.
 */

const CHUNK = 1024 * 1024;

/** A file's bytes read into one buffer, over and over: a chunk is valid until the next is asked for. */
async function* reusedChunks(path: string): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

export function folderSource(dir: string): ReleaseSource {
  return {
    list: async () => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name),
    open: (name) => createReadStream(join(dir, name), { highWaterMark: CHUNK }),
    chunks: (name) => reusedChunks(join(dir, name)),
  };
}

/**
 * Writes released lines to a file through one reused buffer, hashing what it writes: a release makes no
 * buffer a chunk, so nothing waits outside the JavaScript heap for a collection (a 1 GiB cohort's chunks
 * did, some 80 MB at a time).
 */
async function releasedFileWriter(path: string) {
  const file = await open(path, 'w');
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 * CHUNK);
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
    async close(): Promise<{ bytes: number; sha256: string }> {
      await file.close();
      return { bytes, sha256: hash.digest('hex') };
    },
  };
}

/**
 * Releases a source folder into `target` (created if needed): one pass per file, no dry run, the same bytes as
 * planRelease's streams. Returns the report (its `files` list names, sizes and digests of what was written).
 */
export async function releaseToFolder(source: ReleaseSource, target: string, options: ReleaseOptions): Promise<ReleaseReport> {
  const index = await indexRelease(source, options);
  const tally = tallyPatients(index);
  await mkdir(target, { recursive: true });
  const files: ReleaseReport['files'] = [];
  for (const name of releasedFileNames(index)) {
    const before = tally.releasedResources;
    const releaser = fileReleaser(index, name, tally);
    const writer = await releasedFileWriter(join(target, name));
    try {
      for await (const chunk of chunksOf(source, name)) {
        releaser.push(chunk, writer.add);
        await writer.flush();
      }
      releaser.end(writer.add);
      await writer.flush();
    } catch (error) {
      await writer.close();
      throw error;
    }
    files.push({ name, resources: tally.releasedResources - before, ...(await writer.close()) });
  }
  return tally.report({ releaseDate: options.releaseDate.toISOString(), consentModel: options.rules.consent.model, files });
}
