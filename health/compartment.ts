import type { Json } from './ndjson.ts';

/** Which patient a resource belongs to (its place in the FHIR Patient compartment, as far as a release needs it). */

/** Fields that reference the patient a resource belongs to, in the order they are looked at. */
const PATIENT_FIELDS = ['subject', 'patient', 'beneficiary', 'individual'];

const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The common form, `Patient/<id>`: its id is all after the slash. */
const RELATIVE_PATIENT_REFERENCE = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

/** The Patient id in a reference (`Patient/<id>`, absolute or with `_history`), or undefined. */
export function patientIdOf(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  if (RELATIVE_PATIENT_REFERENCE.test(reference)) return reference.slice(8);
  return PATIENT_REFERENCE.exec(reference)?.[1];
}

function deepPatientReference(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = deepPatientReference(item);
      if (found) return found;
    }
    return undefined;
  }
  const id = patientIdOf((value as Json).reference);
  if (id) return id;
  for (const key in value as Json) {
    const found = deepPatientReference((value as Json)[key]);
    if (found) return found;
  }
  return undefined;
}

/** The id of the patient a resource belongs to: its own for a Patient, else subject, patient, beneficiary, individual, else the first patient reference at any depth. */
export function patientOf(resource: Json): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  for (let i = 0; i < PATIENT_FIELDS.length; i++) {
    const id = patientIdOf(resource[PATIENT_FIELDS[i]!]?.reference);
    if (id) return id;
  }
  return deepPatientReference(resource);
}
