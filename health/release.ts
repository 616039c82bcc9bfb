import { patientOf } from './compartment.ts';
import { resourceExclusion } from './consent.ts';
import { deidentifyInPlace } from './deidentify.ts';
import { resourceDate } from './fhir-dates.ts';
import { LineSplitter, parseResourceLine, ReleaseInputError, type Json } from './ndjson.ts';
import type { ReleaseIndex } from './release-index.ts';
import { ReleaseTally } from './report.ts';

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

/** The files a release produces: every FHIR NDJSON file of the source but Consent. */
export function releasedFileNames(index: ReleaseIndex): string[] {
  return index.files.filter((f) => f.resourceType !== 'Consent').map((f) => f.name);
}

/** A tally that already holds the patients' decisions and the Consent records (never released). */
export function tallyPatients(index: ReleaseIndex): ReleaseTally {
  const tally = new ReleaseTally();
  for (const entry of index.patients.values()) tally.patient(entry.included ? undefined : entry.reason);
  for (let i = 0; i < index.consentRecords; i++) tally.dropped('Consent', 'consent-record');
  return tally;
}
