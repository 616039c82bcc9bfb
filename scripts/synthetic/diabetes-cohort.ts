import { seededRandom, type Random } from './random.ts';

/**
 * A synthetic diabetes cohort as FHIR R4 resources: Patient, Condition (type 1 or type 2 diabetes) and
 * laboratory Observations (HbA1c, LOINC 4548-4; glucose, LOINC 2345-7). Deterministic for a seed. It is
 * pseudonymous research data by construction: no names, no addresses beyond the country, no real person.
 */

export interface CohortOptions {
  patients: number;
  seed: number;
  /** Dates are generated relative to this day, so a seed gives the same data whatever the date today. */
  referenceDate?: string;
}

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string };

const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const DIABETES_TYPES = [
  { weight: 0.9, snomed: '44054006', snomedDisplay: 'Diabetes mellitus type 2', icd: 'E11', icdDisplay: 'Type 2 diabetes mellitus', onsetAge: [35, 75] },
  { weight: 0.1, snomed: '46635009', snomedDisplay: 'Diabetes mellitus type 1', icd: 'E10', icdDisplay: 'Type 1 diabetes mellitus', onsetAge: [5, 30] },
] as const;

const COUNTRIES = ['LU', 'LU', 'LU', 'LU', 'FR', 'BE', 'DE'] as const;

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

function codeable(system: string, code: string, display: string) {
  return { coding: [{ system, code, display }], text: display };
}

function observation(id: string, patientRef: string, when: Date, kind: 'hba1c' | 'glucose', value: number): FhirResource {
  const code =
    kind === 'hba1c'
      ? codeable(LOINC, '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood')
      : codeable(LOINC, '2345-7', 'Glucose [Mass/volume] in Serum or Plasma');
  const quantity = kind === 'hba1c' ? { value: Math.round(value * 10) / 10, unit: '%', system: UCUM, code: '%' } : { value: Math.round(value), unit: 'mg/dL', system: UCUM, code: 'mg/dL' };
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code,
    subject: { reference: patientRef },
    effectiveDateTime: when.toISOString().replace('.000Z', 'Z'),
    valueQuantity: quantity,
  };
}

/** One patient's resources: the Patient, one Condition, and 2–6 visits each with an HbA1c and a glucose result. */
function patientResources(index: number, random: Random, reference: Date): FhirResource[] {
  const id = `p-${String(index + 1).padStart(6, '0')}`;
  const ref = `Patient/${id}`;
  const type = random.next() < DIABETES_TYPES[0].weight ? DIABETES_TYPES[0] : DIABETES_TYPES[1];
  const onsetAge = random.int(type.onsetAge[0], type.onsetAge[1]);
  const yearsSinceOnset = random.int(0, 15);
  const age = Math.min(95, onsetAge + yearsSinceOnset);
  const birth = addDays(reference, -(age * 365 + random.int(0, 364)));
  const onset = addDays(birth, onsetAge * 365 + random.int(0, 364));
  const resources: FhirResource[] = [
    {
      resourceType: 'Patient',
      id,
      identifier: [{ system: 'urn:hdc:synthetic:patient', value: id }],
      gender: random.next() < 0.52 ? 'male' : 'female',
      birthDate: isoDate(birth),
      address: [{ country: random.pick(COUNTRIES) }],
    },
    {
      resourceType: 'Condition',
      id: `c-${id.slice(2)}`,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
      code: { coding: [{ system: SNOMED, code: type.snomed, display: type.snomedDisplay }, { system: ICD10, code: type.icd, display: type.icdDisplay }], text: type.snomedDisplay },
      subject: { reference: ref },
      onsetDateTime: isoDate(onset),
    },
  ];
  // Control improves a little with treatment: the HbA1c mean drifts down over visits.
  let hba1c = random.normal(8.2, 1.4, 5.8, 13.5);
  const visits = random.int(2, 6);
  let when = addDays(reference, -random.int(60, 5 * 365));
  for (let visit = 0; visit < visits; visit++) {
    when = addDays(when, random.int(60, 200));
    const at = new Date(when.getTime() + random.int(7, 11) * 3_600_000 + random.int(0, 59) * 60_000);
    if (at >= reference) break;
    hba1c = Math.min(13.5, Math.max(5.2, hba1c + random.normal(-0.15, 0.5, -1.5, 1.5)));
    const glucose = random.normal(28.7 * hba1c - 46.7, 25, 60, 450);
    resources.push(observation(`o-${id.slice(2)}-${visit + 1}-a`, ref, at, 'hba1c', hba1c));
    resources.push(observation(`o-${id.slice(2)}-${visit + 1}-g`, ref, at, 'glucose', glucose));
  }
  return resources;
}

/** Generates the cohort patient by patient, so memory stays flat however many patients are asked for. */
export function* generateDiabetesCohort(options: CohortOptions): Generator<FhirResource> {
  const random = seededRandom(options.seed);
  const reference = new Date(`${options.referenceDate ?? '2026-01-01'}T00:00:00Z`);
  for (let i = 0; i < options.patients; i++) yield* patientResources(i, random, reference);
}
