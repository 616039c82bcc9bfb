import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { indexRelease, type ReleaseOptions, type ReleaseSource } from './release-index.ts';
import { digestingPassThrough, releasedFileNames, releaseTransform, tallyPatients } from './release.ts';
import type { ReleaseReport } from './report.ts';

/**
 * The release's one file-system helper: a folder as a ReleaseSource (its regular files, read as streams), and a
 * release written to another folder. The data plane checks that the folder lies inside its data root first.
 */

const CHUNK = 1024 * 1024;

export function folderSource(dir: string): ReleaseSource {
  return {
    list: async () => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name),
    open: (name) => createReadStream(join(dir, name), { highWaterMark: CHUNK }),
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
    let measured = { bytes: 0, sha256: '' };
    await pipeline(
      source.open(name),
      releaseTransform(index, name, tally),
      digestingPassThrough((m) => {
        measured = m;
      }),
      createWriteStream(join(target, name)),
    );
    files.push({ name, resources: tally.releasedResources - before, ...measured });
  }
  return tally.report({ releaseDate: options.releaseDate.toISOString(), consentModel: options.rules.consent.model, files });
}
