import type { Readable } from 'node:stream';
import { decisiveCodes, evaluateMiiConsent, evaluateOptOut, readConsent, widenToEncounters, type PatientConsent, type PatientExclusion } from './consent.ts';
import { periodRange, type Interval } from './fhir-dates.ts';
import { patientOf } from './compartment.ts';
import { forEachLine, parseResourceLine, ReleaseInputError, resourceTypeOfFile, type Json } from './ndjson.ts';
import { OPT_OUT_REGISTER_FILE, readOptOutLine } from './opt-out.ts';
import { createPseudonymiser, type AgreementSecret, type Pseudonymiser } from './pseudonym.ts';
import { checkReleaseRules, type ReleaseRules } from './release-rules.ts';

/**
 * The index pass of a release: Patient, Consent and Encounter files (and the opt-out register) read once into a
 * small decision table, one entry per patient, before any clinical resource is transformed.
 */

/** Where a release reads its source: the file names of one folder and a stream of each. */
export interface ReleaseSource {
  list(): Promise<string[]>;
  open(name: string): Readable;
  /**
   * The same bytes as `open`, as chunks each valid only until the next is asked for (the source may read them all
   * into one buffer: no garbage a chunk). Optional; the release copies what it keeps of a chunk.
   */
  chunks?(name: string, range?: ByteRange): AsyncIterable<Buffer>;
  /** A file's size in bytes. Optional: with it and `chunks`, a release can be split into parts (release-units.ts). */
  size?(name: string): Promise<number>;
}

/** Bytes [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A source file's bytes: reused chunks where the source offers them, else its stream's. */
export function chunksOf(source: ReleaseSource, name: string): AsyncIterable<Buffer> {
  return source.chunks ? source.chunks(name) : (source.open(name) as AsyncIterable<Buffer>);
}

export interface ReleaseOptions {
  rules: ReleaseRules;
  secret: AgreementSecret;
  /** The instant consent is evaluated at; keep it fixed for a transfer so its bytes never change. */
  releaseDate: Date;
}

export type PatientEntry = { included: true; shiftDays: number; windows: Interval[] | 'all'; denied: Interval[] } | { included: false; reason: PatientExclusion };

export interface ReleaseIndex {
  options: ReleaseOptions;
  pseudonyms: Pseudonymiser;
  patients: Map<string, PatientEntry>;
  /** Source files by name, with the resource type each holds. */
  files: { name: string; resourceType: string }[];
  /** Consent resources read (they are not released). */
  consentRecords: number;
}

async function filesOfType(source: ReleaseSource, names: string[], type: string, each: (resource: Json, file: string, line: number) => void): Promise<number> {
  let count = 0;
  for (const name of names.filter((n) => resourceTypeOfFile(n) === type)) {
    await forEachLine(chunksOf(source, name), name, (text, line) => {
      each(parseResourceLine(text, name, line, type), name, line);
      count++;
    });
  }
  return count;
}

/** Every patient's Consents, with only the provisions the decision looks at (a broad consent has dozens). */
async function readConsents(source: ReleaseSource, names: string[], codes: readonly string[]) {
  const decisive = decisiveCodes(codes);
  const byPatient = new Map<string, PatientConsent[]>();
  const count = await filesOfType(source, names, 'Consent', (resource) => {
    const read = readConsent(resource);
    if (!read) return;
    const consent = { status: read.consent.status, provisions: read.consent.provisions.filter((p) => decisive.has(p.code)) };
    const list = byPatient.get(read.patientId);
    if (list) list.push(consent);
    else byPatient.set(read.patientId, [consent]);
  });
  return { byPatient, count };
}

async function readOptOutRegister(source: ReleaseSource, names: string[]): Promise<Set<string>> {
  if (!names.includes(OPT_OUT_REGISTER_FILE))
    throw new ReleaseInputError(OPT_OUT_REGISTER_FILE, undefined, 'the EHDS opt-out model needs the opt-out register beside the NDJSON files');
  const optedOut = new Set<string>();
  await forEachLine(chunksOf(source, OPT_OUT_REGISTER_FILE), OPT_OUT_REGISTER_FILE, (text, line) => readOptOutLine(text, line, optedOut));
  return optedOut;
}

/** Runs the index pass over a source folder. */
export async function indexRelease(source: ReleaseSource, options: ReleaseOptions): Promise<ReleaseIndex> {
  checkReleaseRules(options.rules);
  const pseudonyms = createPseudonymiser(options.secret);
  const names = (await source.list()).sort();
  const { rules } = options;
  const mii = rules.consent.model === 'mii-broad-consent';
  const codes = rules.consent.model === 'mii-broad-consent' ? rules.consent.policyCodes : [];
  const consents = mii
    ? await readConsents(source, names, codes)
    : { byPatient: new Map<string, PatientConsent[]>(), count: await filesOfType(source, names, 'Consent', () => undefined) };
  const optedOut = mii ? new Set<string>() : await readOptOutRegister(source, names);
  const releaseDate = options.releaseDate.getTime();
  if (Number.isNaN(releaseDate)) throw new RangeError('the release date is not a valid date');
  const patients = new Map<string, PatientEntry>();
  const windowsBeforeWidening = new Map<string, Interval[]>();
  if (!names.some((n) => resourceTypeOfFile(n) === 'Patient')) throw new ReleaseInputError('Patient.ndjson', undefined, 'the source has no Patient file');
  await filesOfType(source, names, 'Patient', (patient, file, line) => {
    const id = patient.id as string;
    if (patients.has(id)) throw new ReleaseInputError(file, line, 'a Patient id that appeared before');
    const decision = mii ? evaluateMiiConsent(consents.byPatient.get(id) ?? [], { codes, releaseDate }) : evaluateOptOut(id, optedOut);
    if (!decision.included) return patients.set(id, decision);
    patients.set(id, { ...decision, shiftDays: pseudonyms.shiftDays(id, rules.maxDateShiftDays) });
    if (decision.windows !== 'all') windowsBeforeWidening.set(id, decision.windows);
  });
  consents.byPatient.clear();
  if (mii) {
    await filesOfType(source, names, 'Encounter', (encounter) => {
      const id = patientOf(encounter);
      const original = id === undefined ? undefined : windowsBeforeWidening.get(id);
      const entry = id === undefined ? undefined : patients.get(id);
      if (!original || !entry?.included || entry.windows === 'all') return;
      entry.windows = widenToEncounters(original, entry.windows, [periodRange(encounter.period)]);
    });
  }
  const files = names.flatMap((name) => {
    const resourceType = resourceTypeOfFile(name);
    return resourceType ? [{ name, resourceType }] : [];
  });
  return { options, pseudonyms, patients, files, consentRecords: consents.count };
}
