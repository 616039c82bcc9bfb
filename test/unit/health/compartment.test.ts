import { describe, expect, it } from 'vitest';
import { patientIdOf, patientOf } from '../../../health/compartment.ts';

describe('the patient a resource belongs to', () => {
  it('a Patient is its own; others by subject, patient, beneficiary or individual, in that order', () => {
    expect(patientOf({ resourceType: 'Patient', id: 'p-1' })).toBe('p-1');
    expect(patientOf({ resourceType: 'Observation', id: 'o', subject: { reference: 'Patient/p-2' }, performer: [{ reference: 'Patient/p-3' }] })).toBe('p-2');
    expect(patientOf({ resourceType: 'Consent', id: 'c', patient: { reference: 'Patient/p-4' } })).toBe('p-4');
    expect(patientOf({ resourceType: 'Coverage', id: 'c', beneficiary: { reference: 'Patient/p-5' } })).toBe('p-5');
    expect(patientOf({ resourceType: 'ResearchSubject', id: 'r', individual: { reference: 'Patient/p-6' } })).toBe('p-6');
  });

  it('else the first patient reference at any depth; none for a resource of no patient', () => {
    expect(patientOf({ resourceType: 'Provenance', id: 'x', target: [{ reference: 'Encounter/e' }], agent: [{ who: { reference: 'Patient/p-7' } }] })).toBe('p-7');
    expect(patientOf({ resourceType: 'Organization', id: 'org', partOf: { reference: 'Organization/parent' } })).toBeUndefined();
    expect(patientOf({ resourceType: 'Observation', id: 'o', subject: { reference: 'Group/g' } })).toBeUndefined();
  });

  it('references may be absolute or versioned', () => {
    expect(patientIdOf('https://hospital.example/fhir/Patient/p-8/_history/3')).toBe('p-8');
    expect(patientIdOf('Patient/')).toBeUndefined();
    expect(patientIdOf('RelatedPatient/p-9')).toBeUndefined();
  });
});
