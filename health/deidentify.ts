import { epochDay } from './fhir-dates.ts';
import type { Pseudonymiser } from './pseudonym.ts';

/**
 * De-identification of one FHIR R4 resource for release: keyed ids and references, a per-patient date shift, no
 * free text or business identifiers, and a Patient reduced to what the rules allow. Pure: the same resource,
 * secret and options give the same output, key order included.
 */

export type BirthDatePrecision = 'year' | 'year-month' | 'none';

export interface DeidentifyOptions {
  /** The agreement's keyed pseudonyms (createPseudonymiser(secret)). */
  pseudonyms: Pseudonymiser;
  /** Days every date of this resource moves by (the owning patient's shift); 0 for none. */
  shiftDays: number;
  birthDatePrecision: BirthDatePrecision;
}

type Json = Record<string, unknown>;

/** Patient elements that survive, beside id and meta; names, telecom, identifiers, photo, contact, links, extensions and narrative do not. */
const PATIENT_KEEPS = new Set([
  'resourceType',
  'id',
  'meta',
  'gender',
  'birthDate',
  'deceasedBoolean',
  'deceasedDateTime',
  'address',
  'maritalStatus',
  'multipleBirthBoolean',
  'multipleBirthInteger',
  'communication',
  'generalPractitioner',
  'managingOrganization',
]);
/** Elements dropped from every resource: business identifiers, narrative, free-text notes. */
const DROPPED_EVERYWHERE = new Set(['identifier', 'text', 'note']);
/** Keys whose string values are never dates to shift. */
const NOT_DATES = new Set(['id', 'reference', 'system', 'url', 'code', 'version', 'div', 'value']);

const FULL_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A reference made unlinkable: `Type/id` (also absolute, or with `_history`) becomes `Type/<pseudonym>`; a
 * `urn:uuid:` reference a keyed UUID; a local `#id` stays. Anything else cannot be rewritten safely: undefined.
 */
export function rewriteReference(reference: string, pseudonyms: Pseudonymiser): string | undefined {
  return pseudonyms.reference(reference);
}

/** A full date or dateTime moved by `days` on the calendar, time and offset unchanged (so its length stays too). */
export function shiftDate(value: string, days: number): string {
  if (days === 0 || !FULL_DATE.test(value)) return value;
  const day = shiftedDay(digits(value, 0, 4), digits(value, 5, 2), digits(value, 8, 2), days);
  return value.length === 10 ? day : day + value.slice(10);
}

function digits(value: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + value.charCodeAt(i) - 48;
  return n;
}

/**
 * "YYYY-MM-DD" of `day + days` of `month` `year`: what `new Date(Date.UTC(year, month - 1, day + days))` gives
 * (a two-digit year meaning 19xx, as Date.UTC reads it), without a Date. Remembered by the resulting day:
 * a cohort's dates repeat.
 */
function shiftedDay(year: number, month: number, day: number, days: number): string {
  const target = epochDay(year <= 99 ? 1900 + year : year, month, 1) + day - 1 + days;
  let text = dayTexts.get(target);
  if (text === undefined) {
    text = new Date(target * 86_400_000).toISOString().slice(0, 10);
    if (dayTexts.size >= 65_536) dayTexts.clear();
    dayTexts.set(target, text);
  }
  return text;
}

/** Calendar days as text, by days since 1970-01-01. */
const dayTexts = new Map<number, string>();

function generaliseBirthDate(value: unknown, precision: BirthDatePrecision): string | undefined {
  if (typeof value !== 'string' || precision === 'none') return undefined;
  return value.slice(0, precision === 'year' ? 4 : 7);
}

/**
 * Rewrites a value tree in place: references keyed (their display and identifier dropped), dates shifted. Returns
 * the new value for a string, the same object or array otherwise. A dropped element becomes `undefined`, which
 * JSON.stringify leaves out (deleting keys would turn V8 objects into slow dictionaries). Plain loops: this runs
 * for every value of every released resource.
 */
function rewriteInPlace(value: unknown, key: string, options: DeidentifyOptions): unknown {
  if (typeof value === 'string') return options.shiftDays !== 0 && looksLikeDate(value) && !NOT_DATES.has(key) ? shiftDate(value, options.shiftDays) : value;
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = rewriteInPlace(value[i], key, options);
    return value;
  }
  const object = value as Json;
  if (typeof object.resourceType === 'string') return deidentifyInPlace(object, options, true);
  if (typeof object.reference === 'string') {
    object.reference = rewriteReference(object.reference, options.pseudonyms);
    if (object.display !== undefined) object.display = undefined;
    if (object.identifier !== undefined) object.identifier = undefined;
  }
  for (const k in object) {
    const v = object[k];
    if (v === undefined || k === 'reference') continue;
    const rewritten = rewriteInPlace(v, k, options);
    if (rewritten !== v) object[k] = rewritten;
  }
  return object;
}

/** A cheap test (most strings are no dates); shiftDate applies the full FHIR date/dateTime pattern. */
function looksLikeDate(value: string): boolean {
  return value.length >= 10 && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45;
}

function reducedMeta(meta: unknown): Json | undefined {
  const profile = (meta as Json | undefined)?.profile;
  return Array.isArray(profile) && profile.length > 0 ? { profile } : undefined;
}

/** Only country and state of each address; an address with neither is dropped. */
function reducedAddresses(addresses: unknown): Json[] | undefined {
  if (!Array.isArray(addresses)) return undefined;
  const kept = addresses
    .map((a: Json) => Object.fromEntries(['state', 'country'].filter((k) => typeof a?.[k] === 'string').map((k) => [k, a[k]])))
    .filter((a) => Object.keys(a).length > 0);
  return kept.length > 0 ? kept : undefined;
}

/** A Patient's communication keeps its language only. */
function reducedCommunication(communication: unknown): Json[] | undefined {
  if (!Array.isArray(communication)) return undefined;
  const kept = communication.filter((c: Json) => c?.language).map((c: Json) => ({ language: c.language }));
  return kept.length > 0 ? kept : undefined;
}

function reducedPatient(patient: Json, options: DeidentifyOptions): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(patient)) {
    if (!PATIENT_KEEPS.has(key)) continue;
    if (key === 'address') out.address = reducedAddresses(value);
    else if (key === 'communication') out.communication = reducedCommunication(value);
    else if (key === 'birthDate') out.birthDate = generaliseBirthDate(typeof value === 'string' ? shiftDate(value, options.shiftDays) : value, options.birthDatePrecision);
    else out[key] = value;
  }
  return out;
}

/**
 * One resource de-identified: `id` keyed (HMAC of "<Type>/<id>"), every reference rewritten the same way, every
 * full date and dateTime shifted by `shiftDays`, `identifier`, narrative `text`, `note` and `meta` (but its
 * profiles) removed; a Patient keeps only gender, a generalised birth date, country and state, and a few coded
 * elements. Contained resources are treated the same way, but keep their local ids (`#id` references point at them).
 * Pure: the input is left as it was; the result is exactly what the release writes.
 */
export function deidentifyResource(resource: Json, options: DeidentifyOptions): Json {
  return JSON.parse(JSON.stringify(deidentifyInPlace(structuredClone(resource), options)));
}

/**
 * The same, changing `resource` itself (the release's own, freshly parsed copy) rather than building a new tree,
 * which halves the cost. Removed elements are left `undefined`: serialise the result with JSON.stringify.
 */
export function deidentifyInPlace(resource: Json, options: DeidentifyOptions, contained = false): Json {
  const type = resource.resourceType as string;
  const target = type === 'Patient' ? reducedPatient(resource, options) : resource;
  for (const key in target) {
    const value = target[key];
    if (value === undefined) continue;
    if (DROPPED_EVERYWHERE.has(key)) target[key] = undefined;
    else if (key === 'id') target.id = contained ? value : options.pseudonyms.pseudonymOnce(type, String(value));
    else if (key === 'meta') target.meta = reducedMeta(value);
    else if (key !== 'birthDate' || type !== 'Patient') {
      const rewritten = rewriteInPlace(value, key, options);
      if (rewritten !== value) target[key] = rewritten;
    }
  }
  return target;
}
