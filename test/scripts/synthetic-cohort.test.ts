import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateDiabetesCohort } from '../../scripts/synthetic/diabetes-cohort.ts';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';
import { sizeOf } from '../../connector/catalog/data-source.ts';
import { MII_CONSENT_SYSTEM, miiCode } from '../../health/mii-consent.ts';
import { tempDir } from '../support/connectors.ts';
import { codeValue } from '../../catalog/coding-systems.ts';

type Json = Record<string, any>;

function digestOf(dir: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(readFileSync(join(dir, file)));
  return hash.digest('hex');
}

function readNdjson(dir: string, type: string): Json[] {
  return readFileSync(join(dir, `${type}.ndjson`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const DAY = 86_400_000;
const catalog: Json = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));
const ALPHA3: Record<string, string> = { LU: 'LUX', FR: 'FRA', BE: 'BEL', DE: 'DEU' };

describe('synthetic diabetes cohort (FHIR R4 NDJSON)', () => {
  it('is byte-identical for the same seed and different for another', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await writeDiabetesCohort(a, { patients: 200, seed: 7 });
    await writeDiabetesCohort(b, { patients: 200, seed: 7 });
    await writeDiabetesCohort(c, { patients: 200, seed: 8 });
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(a)).not.toBe(digestOf(c));
  });

  it('gives patients the direct identifiers a hospital holds: names, address, telecom, identifiers with systems, a contact', () => {
    const patient = generateDiabetesCohort({ patients: 1, seed: 3 }).next().value! as Json;
    expect(patient.name[0].family).toMatch(/\S/);
    expect(patient.name[0].given[0]).toMatch(/\S/);
    expect(Object.keys(patient.address[0])).toEqual(expect.arrayContaining(['line', 'city', 'postalCode', 'country']));
    expect(patient.telecom.map((t: Json) => t.system).sort()).toEqual(['email', 'phone']);
    expect(patient.identifier.every((i: Json) => typeof i.system === 'string' && typeof i.value === 'string')).toBe(true);
    expect(patient.contact[0].name.family).toMatch(/\S/);
    expect(patient.text.div).toContain(patient.name[0].family.toUpperCase());
  });
});

/** Every fact the catalog entry (examples/datasets/diabetes-cohort.json) declares, checked on the files the local dataspace generates. */
describe('the cohort the local dataspace generates holds what its catalog entry declares', () => {
  const dir = tempDir();
  const patients = 3000;
  let files: Record<string, Json[]>;
  const byPatient = new Map<string, Json>();
  const subjectOf = (r: Json) => (r.subject ?? r.patient).reference.slice('Patient/'.length);
  /** Age in completed years, as a calendar counts it. */
  const ageAt = (patientId: string, date: string) => {
    const [by, bm, bd] = byPatient.get(patientId)!.birthDate.split('-').map(Number);
    const [y, m, d] = date.slice(0, 10).split('-').map(Number);
    return y! - by! - (m! < bm! || (m === bm && d! < bd!) ? 1 : 0);
  };

  beforeAll(async () => {
    await writeDiabetesCohort(dir, { patients, seed: 20261122 });
    files = Object.fromEntries(['Patient', 'Condition', 'Encounter', 'Observation', 'Consent'].map((t) => [t, readNdjson(dir, t)]));
    for (const p of files.Patient!) byPatient.set(p.id, p);
  });

  it('numberOfUniqueIndividuals and numberOfRecords: one record per patient', () => {
    expect(files.Patient).toHaveLength(patients);
    expect(byPatient.size).toBe(patients);
    expect(catalog.numberOfUniqueIndividuals).toBe(patients);
    expect(catalog.numberOfRecords).toBe(patients);
  });

  it('title "type 2 diabetes": every patient has exactly one Condition, type 2 diabetes, and no type 1', () => {
    expect(catalog.title.en).toMatch(/type 2 diabetes/);
    const conditions = files.Condition!;
    expect(new Set(conditions.map(subjectOf)).size).toBe(patients);
    expect(conditions).toHaveLength(patients);
    const codes = new Set(conditions.flatMap((c) => c.code.coding.map((x: Json) => x.code)));
    expect([...codes].sort()).toEqual(['44054006', 'E11']);
  });

  it('hasCodeValues and hasCodingSystem: exactly the clinical codes used are declared, and their systems', () => {
    const used = new Set([...files.Condition!, ...files.Observation!].flatMap((r) => r.code.coding.map((c: Json) => `${c.system}#${c.code}`)));
    const declared = new Set(catalog.hasCodeValues.map((v: Json) => `${v.inScheme}#${v.notation}`));
    expect([...used].sort()).toEqual([...declared].sort());
    // Each is the concept its coding system's publisher names (https://loinc.org/4548-4/, http://snomed.info/id/…).
    for (const v of catalog.hasCodeValues) expect(v.id).toBe(codeValue(v.inScheme, v.notation).id);
    // Its label is the display the data give the code.
    const displays = new Map([...files.Condition!, ...files.Observation!].flatMap((r) => r.code.coding.map((c: Json) => [`${c.system}#${c.code}`, c.display] as const)));
    for (const v of catalog.hasCodeValues) expect(v.label.en).toBe(displays.get(`${v.inScheme}#${v.notation}`));
    expect([...new Set([...used].map((c) => c.split('#')[0]))].sort()).toEqual([...catalog.hasCodingSystem].sort());
  });

  it('minTypicalAge and maxTypicalAge: every patient is within them at every encounter, diagnosis and observation', () => {
    const dated = [
      ...files.Encounter!.map((e) => [subjectOf(e), e.period.start] as const),
      ...files.Condition!.map((c) => [subjectOf(c), c.onsetDateTime] as const),
      ...files.Observation!.map((o) => [subjectOf(o), o.effectiveDateTime] as const),
    ];
    const ages = dated.map(([id, date]) => ageAt(id, date));
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(catalog.minTypicalAge);
    expect(Math.max(...ages)).toBeLessThanOrEqual(catalog.maxTypicalAge);
  });

  it('temporal: every onset, encounter and observation lies inside the declared coverage, none after today', () => {
    const start = Date.parse(catalog.temporal.start);
    const end = Date.parse(catalog.temporal.end) + DAY;
    const today = Date.now();
    const dates = [
      ...files.Condition!.flatMap((c) => [c.onsetDateTime, c.recordedDate]),
      ...files.Encounter!.flatMap((e) => [e.period.start, e.period.end]),
      ...files.Observation!.flatMap((o) => [o.effectiveDateTime, o.issued]),
    ].map((d) => Date.parse(d));
    expect(dates.filter((d) => !(d >= start && d < end))).toEqual([]);
    expect(dates.filter((d) => d > today)).toEqual([]);
  });

  it('no encounter or observation before the diagnosis', () => {
    const onset = new Map(files.Condition!.map((c) => [subjectOf(c), Date.parse(c.onsetDateTime)]));
    expect(files.Observation!.filter((o) => Date.parse(o.effectiveDateTime) < onset.get(subjectOf(o))!)).toEqual([]);
    expect(files.Encounter!.filter((e) => Date.parse(e.period.start) < onset.get(subjectOf(e))!)).toEqual([]);
  });

  it('spatial: every patient lives in a declared country', () => {
    const declared = new Set(catalog.spatial.map((s: string) => s.slice(-3)));
    expect([...new Set(files.Patient!.map((p) => ALPHA3[p.address[0].country]))].every((c) => declared.has(c!))).toBe(true);
  });

  it('byteSize: the entry declares none, so the connector declares the size of the files generated', () => {
    expect(catalog.distributions.every((d: Json) => d.byteSize === undefined)).toBe(true);
    const files = readdirSync(dir);
    expect(sizeOf(dir)).toBe(files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0));
    expect(files.sort()).toEqual(['Condition.ndjson', 'Consent.ndjson', 'Encounter.ndjson', 'Observation.ndjson', 'Patient.ndjson', 'opt-out-register.txt']);
  });

  it('every reference leads to a resource of the cohort', () => {
    const ids = new Set(
      Object.values(files)
        .flat()
        .map((r) => `${r.resourceType}/${r.id}`),
    );
    const refs = Object.values(files)
      .flat()
      .flatMap((r) => JSON.stringify(r).match(/"reference":"[^"]+"/g) ?? [])
      .map((m) => m.slice(13, -1));
    expect(refs.filter((r) => !ids.has(r))).toEqual([]);
  });

  it('Consents have the MII broad consent shape: a deny provision with nested provisions, one policy code and a period each', () => {
    for (const consent of files.Consent!) {
      expect(consent.provision.type).toBe('deny');
      for (const nested of consent.provision.provision) {
        expect(['permit', 'deny']).toContain(nested.type);
        expect(nested.code).toHaveLength(1);
        expect(nested.code[0].coding[0].system).toBe(MII_CONSENT_SYSTEM);
        expect(nested.period.start < nested.period.end).toBe(true);
      }
    }
  });

  it('has a realistic consent mix: most consent; some have no .8, an inactive or expired consent, or a .6 window shorter than their history', () => {
    const permits = (c: Json, suffix: number) => c.provision.provision.filter((p: Json) => p.type === 'permit' && p.code[0].coding[0].code === miiCode(suffix));
    const consents = files.Consent!;
    const now = Date.now();
    const consenting = consents.filter((c) => c.status === 'active' && permits(c, 8).some((p: Json) => Date.parse(p.period.end) > now) && permits(c, 6).length > 0);
    expect(consenting.length / patients).toBeGreaterThan(0.6);
    expect(consents.filter((c) => permits(c, 8).length === 0).length).toBeGreaterThan(50);
    expect(consents.filter((c) => c.status === 'inactive').length).toBeGreaterThan(50);
    expect(consents.filter((c) => permits(c, 8).some((p: Json) => Date.parse(p.period.end) < now)).length).toBeGreaterThan(50);
    expect(patients - new Set(consents.map(subjectOf)).size).toBeGreaterThan(50);
    const lastData = new Map<string, number>();
    const firstData = new Map<string, number>();
    for (const o of files.Observation!) {
      const t = Date.parse(o.effectiveDateTime);
      lastData.set(subjectOf(o), Math.max(lastData.get(subjectOf(o)) ?? 0, t));
      firstData.set(subjectOf(o), Math.min(firstData.get(subjectOf(o)) ?? Infinity, t));
    }
    const shorter = consents.filter((c) =>
      permits(c, 6).some((p: Json) => Date.parse(p.period.end) < lastData.get(subjectOf(c))! || Date.parse(p.period.start) > firstData.get(subjectOf(c))!),
    );
    expect(shorter.length).toBeGreaterThan(300);
  });

  it('the opt-out register lists existing patients, a few per hundred', () => {
    const ids = readFileSync(join(dir, 'opt-out-register.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ids.every((id) => byPatient.has(id))).toBe(true);
    expect(ids.length / patients).toBeGreaterThan(0.03);
    expect(ids.length / patients).toBeLessThan(0.1);
  });
});
