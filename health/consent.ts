import { patientIdOf } from './compartment.ts';
import type { Json } from './ndjson.ts';
import { contains, fhirDateRange, overlaps, periodRange, type Interval } from './fhir-dates.ts';
import { MII_CODE, MII_CONSENT_SYSTEM, MII_RETROSPECTIVE_CODES, RETROSPECTIVE_START } from './mii-consent.ts';

/**
 * A patient's consent at a release date, under one of two models:
 * - MII broad consent, as MII's extraction tool (TORCH) applies it: `.8` and `.6` must both be present; `.8` is a
 *   gate (the release date must fall inside one of its permit periods); `.6` gives the windows data may come
 *   from, widened to the start of an encounter that overlaps one; `.45`/`.46`, when the agreement asks for them
 *   and the patient granted them, extend the windows back to 1900-01-01; deny provisions of any of the
 *   patient's Consents are subtracted. Only Consents with status `active` count.
 * - EHDS opt-out: everyone is included except those on the opt-out register.
 */

export type ConsentModel = 'mii-broad-consent' | 'ehds-opt-out';

/** Why a patient is left out of a release. */
export type PatientExclusion = 'no-consent' | 'consent-expired' | 'consent-withdrawn' | 'denied' | 'opted-out';

export type ConsentDecision =
  | {
      included: true;
      /** Where data may come from: a resource dated outside every window is dropped; 'all' under the opt-out model. */
      windows: Interval[] | 'all';
      /** Periods a deny provision covers for MDAT collection: a resource dated inside one is dropped. */
      denied: Interval[];
    }
  | { included: false; reason: PatientExclusion };

/** One provision of a Consent with an MII policy code, flattened out of the nesting. */
export interface ConsentProvision {
  type: 'permit' | 'deny';
  code: string;
  period: Interval;
}

/** What a release needs of one Consent resource. */
export interface PatientConsent {
  status: string;
  provisions: ConsentProvision[];
}

/**
 * The patient a Consent is about (the id in `patient.reference`, "Patient/<id>") and its MII provisions, nested at
 * any depth: a nested provision without a type is the opposite of its parent's; without a period it has its
 * parent's. Returns undefined when the Consent names no patient.
 */
export function readConsent(resource: Json): { patientId: string; consent: PatientConsent } | undefined {
  const patientId = patientIdOf(resource.patient?.reference);
  if (patientId === undefined) return undefined;
  const provisions: ConsentProvision[] = [];
  const walk = (provision: Json, parentType: 'permit' | 'deny' | undefined, parentPeriod: Interval) => {
    const type: 'permit' | 'deny' = provision.type === 'permit' || provision.type === 'deny' ? provision.type : parentType === 'permit' ? 'deny' : 'permit';
    const period = provision.period ? clip(periodRange(provision.period), parentPeriod) : parentPeriod;
    for (const concept of Array.isArray(provision.code) ? provision.code : []) {
      for (const coding of Array.isArray(concept?.coding) ? concept.coding : []) {
        if (coding?.system === MII_CONSENT_SYSTEM && typeof coding.code === 'string') provisions.push({ type, code: coding.code, period });
      }
    }
    for (const child of Array.isArray(provision.provision) ? provision.provision : []) walk(child, type, period);
  };
  if (resource.provision && typeof resource.provision === 'object') walk(resource.provision, undefined, { start: -Infinity, end: Infinity });
  return { patientId, consent: { status: String(resource.status ?? ''), provisions } };
}

function clip(a: Interval, within: Interval): Interval {
  return { start: Math.max(a.start, within.start), end: Math.min(a.end, within.end) };
}

export interface MiiConsentRequest {
  /** Policy codes the agreement asks for (isAllOf); `.6` and `.8` are always required. */
  codes: readonly string[];
  releaseDate: number;
}

/** Codes, besides `.6`, that every patient must have permitted at the release date: `.8` and any other code asked for. */
function gateCodes(codes: readonly string[]): string[] {
  return [MII_CODE.mdatScientificUse, ...codes.filter((c) => c !== MII_CODE.mdatScientificUse && c !== MII_CODE.mdatCollect && !MII_RETROSPECTIVE_CODES.includes(c))];
}

/** Why a gate code fails at the release date, or undefined when it holds. */
function gateFailure(code: string, active: ConsentProvision[], inactive: ConsentProvision[], at: number): PatientExclusion | undefined {
  const permits = active.filter((p) => p.type === 'permit' && p.code === code);
  if (permits.length === 0) {
    if (active.some((p) => p.type === 'deny' && p.code === code && contains(p.period, at))) return 'denied';
    return inactive.some((p) => p.type === 'permit' && p.code === code) ? 'consent-withdrawn' : 'no-consent';
  }
  if (!permits.some((p) => contains(p.period, at))) return 'consent-expired';
  if (active.some((p) => p.type === 'deny' && p.code === code && contains(p.period, at))) return 'denied';
  return undefined;
}

/** The policy codes evaluateMiiConsent looks at for a request: provisions of any other code can be left out. */
export function decisiveCodes(codes: readonly string[]): ReadonlySet<string> {
  return new Set([MII_CODE.mdatCollect, MII_CODE.mdatScientificUse, ...codes]);
}

/** Model A: the MII broad consent decision of one patient from all their Consents (before encounter widening). */
export function evaluateMiiConsent(consents: readonly PatientConsent[], request: MiiConsentRequest): ConsentDecision {
  const active = consents.filter((c) => c.status === 'active').flatMap((c) => c.provisions);
  const inactive = consents.filter((c) => c.status === 'inactive').flatMap((c) => c.provisions);
  for (const code of gateCodes(request.codes)) {
    const failure = gateFailure(code, active, inactive, request.releaseDate);
    if (failure) return { included: false, reason: failure };
  }
  const collect = active.filter((p) => p.code === MII_CODE.mdatCollect);
  const windows = collect.filter((p) => p.type === 'permit').map((p) => p.period);
  if (windows.length === 0) {
    if (collect.some((p) => p.type === 'deny')) return { included: false, reason: 'denied' };
    return { included: false, reason: inactive.some((p) => p.code === MII_CODE.mdatCollect && p.type === 'permit') ? 'consent-withdrawn' : 'no-consent' };
  }
  const retrospective = request.codes.filter((c) => MII_RETROSPECTIVE_CODES.includes(c));
  const granted = retrospective.some((code) => active.some((p) => p.type === 'permit' && p.code === code && contains(p.period, request.releaseDate)));
  const start = fhirDateRange(RETROSPECTIVE_START)!.start;
  return {
    included: true,
    windows: granted ? windows.map((w) => ({ start: Math.min(start, w.start), end: w.end })) : windows,
    denied: collect.filter((p) => p.type === 'deny').map((p) => p.period),
  };
}

/**
 * Widens each window to the start of an encounter that overlaps it (TORCH's encounter adjustment). `original` are
 * the windows the consent gives (overlap is judged against them), `widened` the same windows as widened so far,
 * so encounters can be applied one at a time as they stream past.
 */
export function widenToEncounters(original: readonly Interval[], widened: readonly Interval[], encounters: readonly Interval[]): Interval[] {
  return widened.map((window, i) => {
    let start = window.start;
    for (const encounter of encounters) if (encounter.start < start && overlaps(encounter, original[i]!)) start = encounter.start;
    return start === window.start ? window : { start, end: window.end };
  });
}

/** Model B: the EHDS opt-out decision of one patient. */
export function evaluateOptOut(patientId: string, optedOut: ReadonlySet<string>): ConsentDecision {
  return optedOut.has(patientId) ? { included: false, reason: 'opted-out' } : { included: true, windows: 'all', denied: [] };
}

/** Why a resource of an included patient is dropped, or undefined when it may be released. */
export type ResourceExclusion = 'outside-window' | 'denied';

/**
 * Whether a resource dated `date` may be released under an inclusion decision. A resource of a dated type without
 * a date cannot be shown to lie in a window and is dropped as outside it (under the MII model only).
 */
export function resourceExclusion(decision: Extract<ConsentDecision, { included: true }>, date: number | 'undated' | undefined): ResourceExclusion | undefined {
  if (date === undefined || decision.windows === 'all') return undefined;
  if (date === 'undated') return 'outside-window';
  // Plain loops: this runs for every resource of an included patient.
  for (let i = 0; i < decision.denied.length; i++) if (contains(decision.denied[i]!, date)) return 'denied';
  for (let i = 0; i < decision.windows.length; i++) if (contains(decision.windows[i]!, date)) return undefined;
  return 'outside-window';
}
