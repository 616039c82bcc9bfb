import { seededRandom, type Random } from './random.ts';
import { syntheticIdentity } from './identities.ts';
import { consentKind, patientConsents } from './consents.ts';

/**
 * A synthetic type 2 diabetes cohort as a hospital's FHIR R4 resources: Patient (with direct identifiers, as a
 * hospital holds them), Encounter (ambulatory visits and inpatient stays), one Condition (type 2 diabetes,
 * SNOMED CT 44054006 and ICD-10 E11), laboratory Observations (HbA1c, LOINC 4548-4; glucose in serum or plasma,
 * LOINC 2345-7) and MII broad consents. Deterministic for a seed. Every patient is diagnosed inside the
 * coverage period at 35–75 years of age and has data only from the diagnosis to the end of the period.
 * No real person contributed.
 */

export interface CohortOptions {
  patients: number;
  seed: number;
  /** Dates are generated before this day, so a seed gives the same data whatever the date today. */
  referenceDate?: string;
}

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string };

const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** The clinical codes the cohort uses, as (system, code): exactly what its catalog entry declares. */
export const COHORT_CODES = {
  diabetesType2Snomed: { system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2' },
  diabetesType2Icd: { system: ICD10, code: 'E11', display: 'Type 2 diabetes mellitus' },
  hba1c: { system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
  glucose: { system: LOINC, code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' },
} as const;

export const ONSET_AGE = [35, 75] as const;
export const DEFAULT_REFERENCE_DATE = '2026-01-01';
/** Years of history before the reference date. */
const COVERAGE_YEARS = 11;

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The period the cohort's data lies in: from 1 January, 11 years before the reference year, to the day before the reference date. */
export function cohortCoverage(referenceDate = DEFAULT_REFERENCE_DATE): { start: string; end: string } {
  const reference = Date.parse(`${referenceDate}T00:00:00Z`);
  return { start: `${new Date(reference).getUTCFullYear() - COVERAGE_YEARS}-01-01`, end: isoDate(reference - DAY) };
}

/** The same calendar day `years` earlier (29 February becomes 28 February), so calendar ages come out right. */
function yearsBefore(ms: number, years: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear() - years;
  const day = Math.min(d.getUTCDate(), new Date(Date.UTC(year, d.getUTCMonth() + 1, 0)).getUTCDate());
  return Date.UTC(year, d.getUTCMonth(), day);
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function concept(...codings: { system: string; code: string; display: string }[]) {
  return { coding: codings.map((c) => ({ ...c })), text: codings[0]!.display };
}

interface Visit {
  id: string;
  start: number;
  end: number;
  inpatient: boolean;
}

function encounter(visit: Visit, patientRef: string): FhirResource {
  const cls = visit.inpatient ? { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' } : { system: ACT_CODE, code: 'AMB', display: 'ambulatory' };
  return {
    resourceType: 'Encounter',
    id: visit.id,
    meta: { source: 'https://hospital.example/fhir/his' },
    identifier: [{ system: 'https://hospital.example/fhir/sid/visit-number', value: `V${visit.id.replace(/\D/g, '')}` }],
    status: 'finished',
    class: cls,
    subject: { reference: patientRef },
    period: { start: isoInstant(visit.start), end: isoInstant(visit.end) },
  };
}

function observation(id: string, patientRef: string, visit: Visit, at: number, kind: 'hba1c' | 'glucose', value: number): FhirResource {
  const quantity =
    kind === 'hba1c' ? { value: Math.round(value * 10) / 10, unit: '%', system: UCUM, code: '%' } : { value: Math.round(value), unit: 'mg/dL', system: UCUM, code: 'mg/dL' };
  return {
    resourceType: 'Observation',
    id,
    meta: { source: 'https://hospital.example/fhir/lis' },
    identifier: [{ system: 'https://hospital.example/fhir/sid/lis-accession', value: `LIS-${id.slice(2).replace(/-/g, '')}` }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: concept(COHORT_CODES[kind]),
    subject: { reference: patientRef },
    encounter: { reference: `Encounter/${visit.id}` },
    effectiveDateTime: isoInstant(at),
    issued: isoInstant(at + 2 * HOUR),
    valueQuantity: quantity,
  };
}

/** The diagnosis visit on the onset day, then 1–11 follow-ups 60–240 days apart, all ending before `last`. */
function visitsOf(number: string, onset: number, last: number, random: Random): Visit[] {
  const visits: Visit[] = [];
  const followUps = random.int(1, 11);
  let day = onset;
  for (let n = 0; n <= followUps; n++) {
    const inpatient = random.next() < (n === 0 ? 0.3 : 0.08);
    const start = day + random.int(7, 11) * HOUR + random.int(0, 59) * 60_000;
    const end = inpatient ? day + random.int(2, 7) * DAY + random.int(9, 12) * HOUR : start + random.int(1, 3) * HOUR;
    if (end >= last) break;
    visits.push({ id: `e-${number}-${n + 1}`, start, end, inpatient });
    day = Math.floor(end / DAY) * DAY + random.int(60, 240) * DAY;
  }
  return visits;
}

/** The day the broad consent is signed: for some inpatients during the diagnosis stay, otherwise around the diagnosis. */
function consentDay(first: Visit, onset: number, coverage: { start: number; end: number }, random: Random): number {
  const stayDays = Math.floor((first.end - first.start) / DAY);
  if (first.inpatient && stayDays >= 1 && random.next() < 0.6) return Math.floor(first.start / DAY) * DAY + random.int(1, stayDays) * DAY;
  return Math.min(coverage.end, Math.max(coverage.start, onset + random.int(-180, 540) * DAY));
}

function patientResources(index: number, random: Random, coverage: { start: number; end: number }): FhirResource[] {
  const number = String(index + 1).padStart(6, '0');
  const id = `p-${number}`;
  const ref = `Patient/${id}`;
  const gender = random.next() < 0.52 ? 'male' : 'female';
  const onset = coverage.start + random.int(0, Math.floor((coverage.end - coverage.start) / DAY) - 180) * DAY;
  const onsetAge = random.int(ONSET_AGE[0], ONSET_AGE[1]);
  const birth = yearsBefore(onset, onsetAge) - random.int(0, 364) * DAY;
  const visits = visitsOf(number, onset, coverage.end + DAY, random);
  const identity = syntheticIdentity(random, index, gender);
  const patient: FhirResource = { resourceType: 'Patient', id, meta: { source: 'https://hospital.example/fhir/his' }, ...identity, gender, birthDate: isoDate(birth) };
  const condition: FhirResource = {
    resourceType: 'Condition',
    id: `c-${number}`,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
    code: concept(COHORT_CODES.diabetesType2Snomed, COHORT_CODES.diabetesType2Icd),
    subject: { reference: ref },
    encounter: { reference: `Encounter/${visits[0]!.id}` },
    onsetDateTime: isoDate(onset),
    recordedDate: isoInstant(visits[0]!.start),
  };
  const resources: FhirResource[] = [patient, condition];
  // Control improves a little with treatment: the HbA1c mean drifts down over visits.
  let hba1c = random.normal(8.2, 1.4, 5.8, 13.5);
  for (const [n, visit] of visits.entries()) {
    resources.push(encounter(visit, ref));
    const at = visit.start + random.int(10, 90) * 60_000;
    hba1c = Math.min(13.5, Math.max(5.2, hba1c + random.normal(-0.15, 0.5, -1.5, 1.5)));
    const glucose = random.normal(28.7 * hba1c - 46.7, 25, 60, 450);
    resources.push(observation(`o-${number}-${n + 1}-a`, ref, visit, at, 'hba1c', hba1c), observation(`o-${number}-${n + 1}-g`, ref, visit, at, 'glucose', glucose));
  }
  const kind = consentKind(random);
  const lastVisit = visits[visits.length - 1]!;
  resources.push(...patientConsents(kind, id, consentDay(visits[0]!, onset, coverage, random), lastVisit.end, random));
  return resources;
}

function coverageMs(referenceDate?: string) {
  const coverage = cohortCoverage(referenceDate);
  return { start: Date.parse(`${coverage.start}T00:00:00Z`), end: Date.parse(`${coverage.end}T00:00:00Z`) };
}

/** Generates the cohort patient by patient, so memory stays flat however many patients are asked for. */
export function* generateDiabetesCohort(options: CohortOptions): Generator<FhirResource> {
  const random = seededRandom(options.seed);
  const coverage = coverageMs(options.referenceDate);
  for (let i = 0; i < options.patients; i++) yield* patientResources(i, random, coverage);
}

/** Share of patients on the EHDS opt-out register. */
const OPT_OUT_SHARE = 0.06;

/**
 * The patients who opted out of secondary use (EHDS Regulation (EU) 2025/327), by Patient id: drawn from a
 * stream of its own, so the register does not change the clinical data of a seed.
 */
export function* cohortOptOuts(options: CohortOptions): Generator<string> {
  const random = seededRandom(options.seed ^ 0x5eed0ff);
  for (let i = 0; i < options.patients; i++) if (random.next() < OPT_OUT_SHARE) yield `p-${String(i + 1).padStart(6, '0')}`;
}
