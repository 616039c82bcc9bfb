import { createHash } from 'node:crypto';
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { patientOf } from './compartment.ts';
import { resourceExclusion } from './consent.ts';
import { deidentifyInPlace } from './deidentify.ts';
import { resourceDate } from './fhir-dates.ts';
import { LineSplitter, parseResourceLine, ReleaseInputError, type Json } from './ndjson.ts';
import { indexRelease, type ReleaseIndex, type ReleaseOptions, type ReleaseSource } from './release-index.ts';
import { ReleaseTally, type ReleaseReport } from './report.ts';

/**
 * The streaming release: after the index pass (release-index.ts), each source NDJSON file is filtered and
 * rewritten line by line into a released NDJSON file of the same name. Output order is input order and every
 * rewrite is a pure function of the line, the decision table and the secret, so the same source, rules, secret
 * and release date give the same bytes: a digest taken once and a resumed HTTP Range stay valid.
 */

export type { ReleaseOptions, ReleaseSource } from './release-index.ts';
export { patientOf } from './compartment.ts';

/** Decides one parsed resource: its released JSON (without the newline), or why it is not released. */
function releaseResource(index: ReleaseIndex, resource: Json): string | { reason: Parameters<ReleaseTally['dropped']>[1] } {
  const patientId = patientOf(resource);
  if (patientId === undefined) return { reason: 'no-patient' };
  const entry = index.patients.get(patientId);
  if (!entry) return { reason: 'unknown-patient' };
  if (!entry.included) return { reason: entry.reason };
  const exclusion = resourceExclusion(entry, resourceDate(resource));
  if (exclusion) return { reason: exclusion };
  return JSON.stringify(deidentifyInPlace(resource, { pseudonyms: index.pseudonyms, shiftDays: entry.shiftDays, birthDatePrecision: index.options.rules.birthDatePrecision }));
}

/**
 * One source file's release, chunk by chunk: `push` splits a chunk into lines (copying only a line the chunk cuts,
 * so the chunk may be reused afterwards) and hands each released line to `emit`, without its newline (appending
 * one to a line would copy it). `tally`, when given, counts every resource; `from` releases a part of the file
 * (see LineSplitter).
 */
export function fileReleaser(index: ReleaseIndex, fileName: string, tally?: ReleaseTally, from?: { lines: number; atFileStart: boolean }) {
  const file = index.files.find((f) => f.name === fileName);
  if (!file) throw new ReleaseInputError(fileName, undefined, 'not a FHIR NDJSON file of the source');
  const splitter = new LineSplitter(fileName, from);
  let emit: (line: string) => void = () => undefined;
  const onLine = (text: string, line: number) => {
    const resource = parseResourceLine(text, fileName, line, file.resourceType);
    const out = releaseResource(index, resource);
    if (typeof out === 'string') {
      emit(out);
      tally?.released(file.resourceType);
    } else tally?.dropped(file.resourceType, out.reason);
  };
  return {
    push(chunk: Buffer, to: (line: string) => void) {
      emit = to;
      splitter.push(chunk, onLine);
    },
    end(to: (line: string) => void) {
      emit = to;
      splitter.end(onLine);
    },
    /** Lines split so far (see LineSplitter.lines). */
    get lines() {
      return splitter.lines;
    },
  };
}

/**
 * A Transform from one source file's bytes to its released bytes. Each chunk in gives at most one chunk out, so
 * memory stays at a chunk and a partial line whatever the file size. `tally`, when given, counts every resource.
 */
export function releaseTransform(index: ReleaseIndex, fileName: string, tally?: ReleaseTally): Transform {
  const releaser = fileReleaser(index, fileName, tally);
  const released: string[] = [];
  const collect = (line: string) => {
    released.push(line, '\n');
  };
  const flushOut = (stream: Transform) => {
    if (released.length > 0) stream.push(Buffer.from(released.join('')));
    released.length = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        releaser.push(chunk, collect);
        flushOut(this);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        releaser.end(collect);
        flushOut(this);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** The files a release produces: every FHIR NDJSON file of the source but Consent. */
export function releasedFileNames(index: ReleaseIndex): string[] {
  return index.files.filter((f) => f.resourceType !== 'Consent').map((f) => f.name);
}

export interface ReleasedFile {
  name: string;
  resources: number;
  /** Exact size of the released file. */
  bytes: number;
  /** SHA-256 of the released file, hex. */
  sha256: string;
}

export interface ReleasePlan {
  files: ReleasedFile[];
  report: ReleaseReport;
  /**
   * The released bytes of one file, streamed again from the source (nothing is kept between calls), or of its
   * byte range [start, end) for a resumed transfer. The stream fails if the file's bytes no longer match the
   * plan (the source changed since): the whole file is released and checked, whatever the range.
   */
  open(name: string, range?: { start?: number; end?: number }): Readable;
}

/**
 * A pass-through that counts and hashes what flows through it; `onEnd` gets the size and SHA-256 (hex) and may
 * return an error to fail the stream with.
 */
export function digestingPassThrough(onEnd: (measured: { bytes: number; sha256: string }) => Error | undefined | void): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(onEnd({ bytes, sha256: hash.digest('hex') }) ?? null);
    },
  });
}

/** Streams one file through the release (the dry run), counting its resources, bytes and digest. */
async function measure(source: ReleaseSource, index: ReleaseIndex, name: string, tally: ReleaseTally): Promise<ReleasedFile> {
  const before = tally.releasedResources;
  let measured = { bytes: 0, sha256: '' };
  for await (const _ of releasedStream(
    source,
    index,
    name,
    tally,
    digestingPassThrough((m) => {
      measured = m;
    }),
  ));
  return { name, resources: tally.releasedResources - before, ...measured };
}

/** One file's released bytes; a failing source fails the stream. */
function releasedStream(source: ReleaseSource, index: ReleaseIndex, name: string, tally?: ReleaseTally, ...after: Transform[]): Readable {
  return (pipeline as (...streams: unknown[]) => Readable)(source.open(name), releaseTransform(index, name, tally), ...after, () => undefined);
}

/** Passes on bytes [start, end) of a stream. It reads to the end, so the plan check still sees every byte. */
function byteRange(start: number, end: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, chunk.length);
      offset += chunk.length;
      done(null, to > from ? chunk.subarray(from, to) : undefined);
    },
  });
}

/** Fails a stream at its end when its bytes are not those the plan measured. */
function planCheck(expected: ReleasedFile): Transform {
  return digestingPassThrough(({ bytes, sha256 }) =>
    bytes === expected.bytes && sha256 === expected.sha256 ? undefined : new ReleaseInputError(expected.name, undefined, 'the source changed since the release was planned'),
  );
}

/**
 * Plans a release: the index pass, then a dry run of every file that measures its released size and digest and
 * fills the report. Memory: the decision table plus a chunk per stream. The data plane sizes its payload from
 * `files` and streams each with `open`.
 */
export async function planRelease(source: ReleaseSource, options: ReleaseOptions): Promise<ReleasePlan> {
  const index = await indexRelease(source, options);
  const tally = tallyPatients(index);
  const files: ReleasedFile[] = [];
  for (const name of releasedFileNames(index)) files.push(await measure(source, index, name, tally));
  const report = tally.report({ releaseDate: options.releaseDate.toISOString(), consentModel: options.rules.consent.model, files });
  return {
    files,
    report,
    open(name, range = {}) {
      const planned = files.find((f) => f.name === name);
      if (!planned) throw new ReleaseInputError(name, undefined, 'not a file of this release');
      const { start = 0, end = planned.bytes } = range;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > planned.bytes || start > end)
        throw new RangeError(`the range must lie within the ${planned.bytes} bytes of ${name}`);
      const after = start === 0 && end === planned.bytes ? [planCheck(planned)] : [planCheck(planned), byteRange(start, end)];
      return releasedStream(source, index, name, undefined, ...after);
    },
  };
}

/** A tally that already holds the patients' decisions and the Consent records (never released). */
export function tallyPatients(index: ReleaseIndex): ReleaseTally {
  const tally = new ReleaseTally();
  for (const entry of index.patients.values()) tally.patient(entry.included ? undefined : entry.reason);
  for (let i = 0; i < index.consentRecords; i++) tally.dropped('Consent', 'consent-record');
  return tally;
}
