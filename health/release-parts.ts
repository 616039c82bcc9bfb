import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_LINE_BYTES, ReleaseInputError } from './ndjson.ts';
import type { ByteRange, ReleaseSource } from './release-index.ts';
import type { ResourceCounts } from './report.ts';

/**
 * A release shared with a helper (another process, so another core): the released files are cut into parts at
 * line boundaries, in file order. This process takes parts from the front and writes them straight into the
 * released files; the helper takes parts from the back, each into a file of its own, which is appended to its
 * released file at the end. Whoever is faster does more, and the bytes are those of a release by one process:
 * the same lines in the same order, line numbers in errors counted from the file's start, and of several
 * malformed lines the first in file order is the one reported.
 */

/** One part of a released file: the whole file (no range), or a range that begins at a line's start. */
export interface ReleasePart {
  name: string;
  /** Where the part begins in its file: 0 for the first. */
  start: number;
  range?: ByteRange;
}

/** A part released by the helper: where its bytes are, how many, their SHA-256, the lines it split, its counts. */
export interface HelpedPart {
  part: ReleasePart;
  path: string;
  lines: number;
  bytes: number;
  sha256: string;
  counts: ResourceCounts;
}

/** What the helper answers for a part: the part released, or the input error at a line counted from the part's start. */
export type PartOutcome = ({ ok: true } & Omit<HelpedPart, 'part' | 'path'>) | { ok: false; line?: number; problem: string };

/** Another process that releases parts of the same release (it makes the same index from the same inputs). */
export interface PartHelper {
  /** Releases a part into `path`. Rejects when the helper failed (not the input): the part is released here instead. */
  release(part: ReleasePart, path: string): Promise<PartOutcome>;
  /** Ends the helper (outstanding parts reject). */
  close(): void;
}

/** Parts of about 16 MiB: small enough to share a file evenly, large enough that handing one over costs nothing. */
export const PART_BYTES = 16 * 1024 * 1024;

/** Where the first line starting at or after `offset` begins, or undefined when none does within a line's maximum. */
async function lineStartAfter(source: ReleaseSource, name: string, offset: number, size: number): Promise<number | undefined> {
  let at = offset;
  for await (const chunk of source.chunks!(name, { start: offset, end: Math.min(size, offset + MAX_LINE_BYTES + 1) })) {
    const nl = chunk.indexOf(10);
    if (nl !== -1) return at + nl + 1 < size ? at + nl + 1 : undefined;
    at += chunk.length;
  }
  return undefined;
}

/** The parts of the released files, in order: files larger than two parts are cut at line starts. */
export async function planParts(source: ReleaseSource, names: readonly string[], partBytes = PART_BYTES): Promise<ReleasePart[]> {
  const parts: ReleasePart[] = [];
  for (const name of names) {
    const size = source.size && source.chunks ? await source.size(name) : 0;
    const starts = [0];
    for (let offset = partBytes; size > 2 * partBytes && offset < size - partBytes / 2; offset += partBytes) {
      const start = await lineStartAfter(source, name, offset, size);
      if (start !== undefined && start > starts.at(-1)!) starts.push(start);
    }
    if (starts.length === 1) parts.push({ name, start: 0 });
    else for (let i = 0; i < starts.length; i++) parts.push({ name, start: starts[i]!, range: { start: starts[i]!, end: starts[i + 1] ?? size } });
  }
  return parts;
}

interface Releasers {
  /** Releases a part here, into its released file (parts of a file come in order); returns the lines it split. */
  own(part: ReleasePart): Promise<number>;
  /** Releases a part here into a file of its own (one the helper could not). */
  toFile(part: ReleasePart, path: string): Promise<Omit<HelpedPart, 'part' | 'path'>>;
}

/**
 * Releases every part, this process from the front, the helper (if any) from the back with two parts asked at a
 * time so it never waits for this process to hand it the next. Returns the helper's parts in order; throws the
 * first malformed line in file order.
 */
export async function releaseParts(parts: readonly ReleasePart[], helper: PartHelper | undefined, dir: string, releasers: Releasers): Promise<HelpedPart[]> {
  const lines: number[] = [];
  if (!helper) {
    for (const part of parts) lines.push(await releasers.own(part));
    return [];
  }
  await mkdir(dir, { recursive: true });
  let front = 0;
  let back = parts.length - 1;
  let helping = true;
  const helped: (HelpedPart & { at: number })[] = [];
  const failed: { at: number; line?: number; problem: string }[] = [];
  const orphans: number[] = [];
  const help = async () => {
    while (helping && front <= back) {
      const at = back--;
      const path = join(dir, String(at));
      try {
        const outcome = await helper.release(parts[at]!, path);
        if (outcome.ok) helped.push({ at, part: parts[at]!, path, ...outcome });
        else failed.push({ at, ...outcome });
      } catch {
        helping = false;
        orphans.push(at);
      }
    }
  };
  const helpers = [help(), help()];
  let ownError: unknown;
  try {
    while (front <= back) {
      const at = front++;
      lines[at] = await releasers.own(parts[at]!);
    }
  } catch (error) {
    // This process's parts come first in file order: its error is the release's, whatever the helper finds.
    ownError = error;
    helping = false;
    helper.close();
  }
  await Promise.all(helpers);
  helper.close();
  if (ownError) throw ownError;
  for (const at of orphans) {
    const path = join(dir, String(at));
    try {
      helped.push({ at, part: parts[at]!, path, ...(await releasers.toFile(parts[at]!, path)) });
    } catch (error) {
      if (!(error instanceof ReleaseInputError)) throw error;
      failed.push({ at, line: error.line, problem: error.problem });
    }
  }
  for (const h of helped) lines[h.at] = h.lines;
  const first = failed.sort((a, b) => a.at - b.at)[0];
  if (first) {
    const name = parts[first.at]!.name;
    let before = 0;
    for (let at = 0; at < first.at; at++) if (parts[at]!.name === name) before += lines[at]!;
    throw new ReleaseInputError(name, first.line === undefined ? undefined : before + first.line, first.problem);
  }
  return helped.sort((a, b) => a.at - b.at);
}
