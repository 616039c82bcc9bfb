import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDiabetesCohort } from '../../scripts/synthetic/diabetes-cohort.ts';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';
import { tempDir } from '../support/connectors.ts';

function digestOf(dir: string): string {
  const hash = createHash('sha256');
  for (const file of ['Patient.ndjson', 'Condition.ndjson', 'Observation.ndjson']) hash.update(readFileSync(join(dir, file)));
  return hash.digest('hex');
}

describe('synthetic diabetes cohort (FHIR R4 NDJSON)', () => {
  it('is byte-identical for the same seed and different for another', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await writeDiabetesCohort(a, { patients: 200, seed: 7 });
    await writeDiabetesCohort(b, { patients: 200, seed: 7 });
    await writeDiabetesCohort(c, { patients: 200, seed: 8 });
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(a)).not.toBe(digestOf(c));
  });

  it('gives every patient one diabetes condition and paired HbA1c and glucose results that reference it', () => {
    const resources = [...generateDiabetesCohort({ patients: 500, seed: 1 })];
    const patients = new Set(resources.filter((r) => r.resourceType === 'Patient').map((r) => `Patient/${r.id}`));
    expect(patients.size).toBe(500);
    const conditions = resources.filter((r) => r.resourceType === 'Condition');
    expect(conditions).toHaveLength(500);
    const codes = new Set(conditions.map((c) => (c.code as { coding: { code: string }[] }).coding[1]!.code));
    expect([...codes].sort()).toEqual(['E10', 'E11']);
    const observations = resources.filter((r) => r.resourceType === 'Observation') as unknown as {
      subject: { reference: string };
      code: { coding: { system: string; code: string }[] };
      valueQuantity: { value: number; code: string };
      effectiveDateTime: string;
    }[];
    expect(observations.length).toBeGreaterThanOrEqual(2 * 500);
    for (const o of [...conditions, ...observations] as { subject: { reference: string } }[]) expect(patients.has(o.subject.reference)).toBe(true);
    const hba1c = observations.filter((o) => o.code.coding[0]!.code === '4548-4');
    const glucose = observations.filter((o) => o.code.coding[0]!.code === '2345-7');
    expect(hba1c).toHaveLength(glucose.length);
    expect(hba1c.every((o) => o.code.coding[0]!.system === 'http://loinc.org' && o.valueQuantity.code === '%' && o.valueQuantity.value >= 5 && o.valueQuantity.value <= 14)).toBe(true);
    expect(glucose.every((o) => o.valueQuantity.code === 'mg/dL' && o.valueQuantity.value >= 60 && o.valueQuantity.value <= 450)).toBe(true);
    expect(observations.every((o) => o.effectiveDateTime < '2026-01-01')).toBe(true);
  });

  it('carries no names or street addresses', () => {
    const patient = generateDiabetesCohort({ patients: 1, seed: 3 }).next().value!;
    expect(Object.keys(patient).sort()).toEqual(['address', 'birthDate', 'gender', 'id', 'identifier', 'resourceType']);
    expect(Object.keys((patient.address as object[])[0]!)).toEqual(['country']);
  });
});
