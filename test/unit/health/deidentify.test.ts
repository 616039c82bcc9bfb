import { describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { deidentifyResource, rewriteReference, shiftDate } from '../../../health/deidentify.ts';
import { keyedHmacSha256 } from '../../../health/hmac-sha256.ts';
import { agreementSecret, createPseudonymiser, dateShiftDays, pseudonymOf, PseudonymKeyError } from '../../../health/pseudonym.ts';

const secret = Buffer.alloc(32, 1);
const pseudonyms = createPseudonymiser(secret);
const hmacHex = (key: Uint8Array, message: string) => createHmac('sha256', key).update(message).digest('hex').slice(0, 32);

const patient = {
  resourceType: 'Patient',
  id: 'p-000042',
  meta: { source: 'https://hospital.example/fhir/his', lastUpdated: '2025-01-01T00:00:00Z', profile: ['https://example.org/p'] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Marie SCHMIT</div>' },
  identifier: [{ system: 'https://hospital.example/fhir/sid/mrn', value: 'MRN04100290' }],
  name: [{ family: 'Schmit', given: ['Marie'] }],
  telecom: [{ system: 'phone', value: '+352 621 123 456' }],
  address: [{ line: ['12 Rue de la Gare'], city: 'Esch-sur-Alzette', postalCode: 'L-4123', state: 'Luxembourg', country: 'LU' }],
  photo: [{ contentType: 'image/png', data: 'iVBORw0KGgo=' }],
  contact: [{ name: { family: 'Schmit' } }],
  extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: 'Weber' }],
  link: [{ other: { reference: 'Patient/p-000001' }, type: 'seealso' }],
  gender: 'female',
  birthDate: '1961-07-14',
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'lb' }] }, preferred: true }],
};

describe('pseudonyms: HMAC-SHA-256(secret per agreement, id)', () => {
  it('are the hex HMAC of "<Type>/<id>" (128 bits), valid FHIR ids, the same from the fast path', () => {
    expect(pseudonymOf(secret, 'Patient', 'p-1')).toBe(hmacHex(secret, 'Patient/p-1'));
    expect(pseudonyms.pseudonym('Patient', 'p-1')).toBe(hmacHex(secret, 'Patient/p-1'));
    expect(pseudonyms.pseudonym('Patient', 'p-1')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the fast path equals createHmac for long ids and long secrets too', () => {
    const longSecret = Buffer.alloc(100, 7);
    const longId = 'x'.repeat(300);
    expect(createPseudonymiser(longSecret).pseudonym('Observation', 'o-1')).toBe(hmacHex(longSecret, 'Observation/o-1'));
    expect(pseudonyms.pseudonymOnce('Observation', longId)).toBe(hmacHex(secret, `Observation/${longId}`));
    expect(pseudonyms.pseudonymOnce('Observation', 'ü-1')).toBe(hmacHex(secret, 'Observation/ü-1'));
  });

  it('the keyed state equals createHmac for keys of every length up to a block and messages across block boundaries', () => {
    for (let n = 0; n < 200; n++) {
      const key = randomBytes(1 + (n % 64));
      const message = n % 5 === 0 ? 'ü€😀'.repeat(n % 30) : 'x'.repeat(n);
      expect(Buffer.from(keyedHmacSha256(key)(message, new Uint8Array(32))).toString('hex')).toBe(createHmac('sha256', key).update(message).digest('hex'));
    }
  });

  it('are stable within an agreement and unlinkable across agreements', () => {
    const master = randomBytes(32);
    const a = agreementSecret(master, 'urn:uuid:agreement-a');
    const b = agreementSecret(master, 'urn:uuid:agreement-b');
    expect(pseudonymOf(a, 'Patient', 'p-1')).toBe(pseudonymOf(agreementSecret(master, 'urn:uuid:agreement-a'), 'Patient', 'p-1'));
    expect(pseudonymOf(a, 'Patient', 'p-1')).not.toBe(pseudonymOf(b, 'Patient', 'p-1'));
  });

  it('refuse short keys', () => {
    expect(() => agreementSecret(Buffer.alloc(16), 'a')).toThrow(PseudonymKeyError);
    expect(() => createPseudonymiser(Buffer.alloc(31))).toThrow(PseudonymKeyError);
  });

  it('date shifts are fixed per patient and agreement, within ±N days, spread over the range', () => {
    const shifts = Array.from({ length: 2000 }, (_, i) => dateShiftDays(secret, `p-${i}`, 30));
    expect(Math.min(...shifts)).toBe(-30);
    expect(Math.max(...shifts)).toBe(30);
    expect(new Set(shifts).size).toBe(61);
    expect(pseudonyms.shiftDays('p-7', 30)).toBe(dateShiftDays(secret, 'p-7', 30));
    expect(dateShiftDays(secret, 'p-7', 0)).toBe(0);
  });
});

describe('de-identifying a Patient', () => {
  const out = deidentifyResource(patient, { pseudonyms, shiftDays: 0, birthDatePrecision: 'year' });

  it('removes name, telecom, identifier values, photo, contact, extensions, links and the narrative; keeps only country and state of the address', () => {
    expect(Object.keys(out).sort()).toEqual(['address', 'birthDate', 'communication', 'gender', 'id', 'meta', 'resourceType']);
    expect(out.address).toEqual([{ state: 'Luxembourg', country: 'LU' }]);
    expect(out.communication).toEqual([{ language: patient.communication[0]!.language }]);
  });

  it('replaces the id with the pseudonym and keeps of meta its profiles only (meta.source goes)', () => {
    expect(out.id).toBe(hmacHex(secret, 'Patient/p-000042'));
    expect(out.meta).toEqual({ profile: ['https://example.org/p'] });
  });

  it('generalises birthDate to the year, the year and month, or removes it', () => {
    expect(out.birthDate).toBe('1961');
    expect(deidentifyResource(patient, { pseudonyms, shiftDays: 0, birthDatePrecision: 'year-month' }).birthDate).toBe('1961-07');
    expect(deidentifyResource(patient, { pseudonyms, shiftDays: 0, birthDatePrecision: 'none' }).birthDate).toBeUndefined();
    expect(deidentifyResource(patient, { pseudonyms, shiftDays: 20, birthDatePrecision: 'year-month' }).birthDate).toBe('1961-08');
  });
});

describe('de-identifying any resource', () => {
  const observation = {
    resourceType: 'Observation',
    id: 'o-1',
    meta: { source: 'https://hospital.example/fhir/lis' },
    identifier: [{ system: 'https://hospital.example/fhir/sid/lis', value: 'LIS-1' }],
    text: { status: 'generated', div: '<div>Marie Schmit</div>' },
    note: [{ text: 'Marie called back' }],
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }], text: 'HbA1c' },
    subject: { reference: 'Patient/p-000042', display: 'Marie Schmit', identifier: { value: 'MRN04100290' } },
    encounter: { reference: 'https://hospital.example/fhir/Encounter/e-7/_history/2' },
    performer: [{ reference: 'urn:uuid:4e2b8a0e-0000-4000-8000-000000000001' }, { reference: '#lab' }],
    effectiveDateTime: '2024-02-28T10:24:00+01:00',
    effectivePeriod: { start: '2024-02-28', end: '2024-02-29T08:00:00Z' },
    component: [{ extension: [{ url: 'x', valueReference: { reference: 'Patient/p-000042' } }], valueDateTime: '2024-03-01' }],
    contained: [{ resourceType: 'Organization', id: 'lab', identifier: [{ value: 'LAB-9' }], name: 'Lab' }],
    valueQuantity: { value: 7.1, unit: '%' },
  };
  const out = deidentifyResource(observation, { pseudonyms, shiftDays: 3, birthDatePrecision: 'year' }) as Record<string, any>;

  it('keys its id and every reference at any depth the same way; drops displays and identifiers inside references', () => {
    expect(out.id).toBe(hmacHex(secret, 'Observation/o-1'));
    expect(out.subject).toEqual({ reference: `Patient/${hmacHex(secret, 'Patient/p-000042')}` });
    expect(out.component[0].extension[0].valueReference).toEqual(out.subject);
    expect(out.encounter).toEqual({ reference: `Encounter/${hmacHex(secret, 'Encounter/e-7')}` });
    expect(out.performer[0].reference).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.performer[0].reference).not.toContain('4e2b8a0e');
    expect(out.performer[1].reference).toBe('#lab');
  });

  it('drops identifier, meta.source, the narrative and notes, also in contained resources (which keep their local id)', () => {
    for (const key of ['identifier', 'meta', 'text', 'note']) expect(out[key]).toBeUndefined();
    expect(out.contained).toEqual([{ resourceType: 'Organization', id: 'lab', name: 'Lab' }]);
    expect(out.code.text).toBe('HbA1c');
  });

  it('shifts every full date and dateTime by the patient’s days, time and offset unchanged', () => {
    expect(out.effectiveDateTime).toBe('2024-03-02T10:24:00+01:00');
    expect(out.effectivePeriod).toEqual({ start: '2024-03-02', end: '2024-03-03T08:00:00Z' });
    expect(out.component[0].valueDateTime).toBe('2024-03-04');
    expect(out.valueQuantity).toEqual(observation.valueQuantity);
  });

  it('date shifting crosses months and years and leaves year-only values alone', () => {
    expect(shiftDate('2024-12-30T23:59:59.123Z', 5)).toBe('2025-01-04T23:59:59.123Z');
    expect(shiftDate('2024-03-01', -1)).toBe('2024-02-29');
    expect(shiftDate('2024', 10)).toBe('2024');
  });

  it('a reference it cannot parse is removed rather than passed on', () => {
    expect(rewriteReference('Patient', pseudonyms)).toBeUndefined();
    expect(
      deidentifyResource({ resourceType: 'Observation', id: 'o', subject: { reference: 'not a reference' } }, { pseudonyms, shiftDays: 0, birthDatePrecision: 'year' }).subject,
    ).toEqual({});
  });
});
