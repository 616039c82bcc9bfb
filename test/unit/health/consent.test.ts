import { describe, expect, it } from 'vitest';
import { evaluateMiiConsent, evaluateOptOut, readConsent, resourceExclusion, widenToEncounters, type PatientConsent } from '../../../health/consent.ts';
import { fhirDateRange, periodRange, resourceDate } from '../../../health/fhir-dates.ts';
import { MII_CONSENT_SYSTEM, miiCode } from '../../../health/mii-consent.ts';

const at = (iso: string) => Date.parse(iso);
const RELEASE = at('2026-12-01T00:00:00Z');
const BASIC = [miiCode(6), miiCode(8)];

/** A Consent in the MII shape: a top-level deny with nested provisions, one code and a period each. */
function consent(nested: { type: 'permit' | 'deny'; suffix: number; start: string; end: string }[], status = 'active') {
  return {
    resourceType: 'Consent',
    id: 'bc-1',
    status,
    patient: { reference: 'Patient/p-1' },
    provision: {
      type: 'deny',
      period: { start: '2015-01-01T00:00:00+01:00', end: '2055-01-01T00:00:00+01:00' },
      provision: nested.map((n) => ({ type: n.type, period: { start: n.start, end: n.end }, code: [{ coding: [{ system: MII_CONSENT_SYSTEM, code: miiCode(n.suffix) }] }] })),
    },
  };
}

const permit = (suffix: number, start: string, end: string) => ({ type: 'permit' as const, suffix, start, end });
const deny = (suffix: number, start: string, end: string) => ({ type: 'deny' as const, suffix, start, end });
const read = (...resources: ReturnType<typeof consent>[]): PatientConsent[] => resources.map((r) => readConsent(r)!.consent);
const full = () => consent([permit(6, '2020-03-01', '2025-03-01'), permit(7, '2020-03-01', '2050-03-01'), permit(8, '2020-03-01', '2050-03-01')]);

describe('reading a Consent (FHIR R4, MII broad consent shape)', () => {
  it('flattens nested provisions with their type, code and period, and names the patient', () => {
    const { patientId, consent: c } = readConsent(full())!;
    expect(patientId).toBe('p-1');
    expect(c.provisions).toHaveLength(3);
    expect(c.provisions[0]).toEqual({ type: 'permit', code: miiCode(6), period: { start: at('2020-03-01'), end: at('2025-03-02') } });
  });

  it('a nested provision without a type is the opposite of its parent; without a period it has its parent’s', () => {
    const resource = {
      resourceType: 'Consent',
      id: 'x',
      status: 'active',
      patient: { reference: 'Patient/p-9' },
      provision: { type: 'deny', period: { start: '2021-01-01', end: '2022-01-01' }, provision: [{ code: [{ coding: [{ system: MII_CONSENT_SYSTEM, code: miiCode(8) }] }] }] },
    };
    expect(readConsent(resource)!.consent.provisions).toEqual([{ type: 'permit', code: miiCode(8), period: { start: at('2021-01-01'), end: at('2022-01-02') } }]);
  });

  it('ignores codes of other systems and a Consent without a patient', () => {
    const other = { ...full(), provision: { type: 'deny', provision: [{ type: 'permit', code: [{ coding: [{ system: 'http://example.org', code: miiCode(8) }] }] }] } };
    expect(readConsent(other)!.consent.provisions).toEqual([]);
    expect(readConsent({ ...full(), patient: undefined })).toBeUndefined();
  });
});

describe('Model A: MII broad consent, as TORCH applies it', () => {
  it('.8 and .6 present, the release date inside .8: included, with the .6 period as the window', () => {
    const decision = evaluateMiiConsent(read(full()), { codes: BASIC, releaseDate: RELEASE });
    expect(decision).toEqual({ included: true, windows: [{ start: at('2020-03-01'), end: at('2025-03-02') }], denied: [] });
  });

  it('no Consent at all, or none with .8: excluded, no-consent', () => {
    expect(evaluateMiiConsent([], { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'no-consent' });
    const withoutUse = consent([permit(6, '2020-03-01', '2025-03-01'), permit(7, '2020-03-01', '2050-03-01')]);
    expect(evaluateMiiConsent(read(withoutUse), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'no-consent' });
  });

  it('.8 without .6: excluded, no-consent (both must be present)', () => {
    const useOnly = consent([permit(8, '2020-03-01', '2050-03-01')]);
    expect(evaluateMiiConsent(read(useOnly), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'no-consent' });
  });

  it('.8 is a gate: a release date after its period ends (or before it starts) excludes, consent-expired', () => {
    const expired = consent([permit(6, '2018-03-01', '2023-03-01'), permit(8, '2018-03-01', '2021-03-01')]);
    expect(evaluateMiiConsent(read(expired), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'consent-expired' });
    expect(evaluateMiiConsent(read(full()), { codes: BASIC, releaseDate: at('2019-01-01') })).toEqual({ included: false, reason: 'consent-expired' });
  });

  it('only active Consents count; an inactive one that granted .8 is a withdrawal: consent-withdrawn', () => {
    expect(evaluateMiiConsent(read({ ...full(), status: 'inactive' }), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'consent-withdrawn' });
    expect(evaluateMiiConsent(read({ ...full(), status: 'rejected' }), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'no-consent' });
  });

  it('deny provisions of any Consent of the patient are subtracted: a deny of .8 at the release date excludes, denied', () => {
    const refused = consent([permit(6, '2020-03-01', '2025-03-01'), deny(8, '2020-03-01', '2050-03-01')]);
    expect(evaluateMiiConsent(read(refused), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'denied' });
    const later = consent([deny(8, '2026-06-01', '3000-01-01')]);
    expect(evaluateMiiConsent(read(full(), later), { codes: BASIC, releaseDate: RELEASE })).toEqual({ included: false, reason: 'denied' });
    expect(evaluateMiiConsent(read(full(), later), { codes: BASIC, releaseDate: at('2026-01-01') }).included).toBe(true);
  });

  it('a deny of .6 for a period is kept, so resources dated in it are dropped as denied', () => {
    const paused = consent([permit(6, '2020-03-01', '2025-03-01'), permit(8, '2020-03-01', '2050-03-01'), deny(6, '2021-01-01', '2021-06-30')]);
    const decision = evaluateMiiConsent(read(paused), { codes: BASIC, releaseDate: RELEASE });
    if (!decision.included) throw new Error('expected inclusion');
    expect(resourceExclusion(decision, at('2021-03-01T10:00:00Z'))).toBe('denied');
    expect(resourceExclusion(decision, at('2021-07-01T10:00:00Z'))).toBeUndefined();
  });

  it('resources dated outside the .6 window are dropped: outside-window; undated types pass, undated resources of dated types do not', () => {
    const decision = evaluateMiiConsent(read(full()), { codes: BASIC, releaseDate: RELEASE });
    if (!decision.included) throw new Error('expected inclusion');
    expect(resourceExclusion(decision, at('2019-12-31T23:59:59Z'))).toBe('outside-window');
    expect(resourceExclusion(decision, at('2025-03-01T23:00:00Z'))).toBeUndefined();
    expect(resourceExclusion(decision, at('2025-03-02T00:00:00Z'))).toBe('outside-window');
    expect(resourceExclusion(decision, undefined)).toBeUndefined();
    expect(resourceExclusion(decision, 'undated')).toBe('outside-window');
  });

  it('.45/.46, when the agreement asks for them and the patient granted one, extend the window back to 1900-01-01', () => {
    const retro = consent([permit(6, '2020-03-01', '2025-03-01'), permit(8, '2020-03-01', '2050-03-01'), permit(46, '2020-03-01', '2050-03-01')]);
    const asked = evaluateMiiConsent(read(retro), { codes: [...BASIC, miiCode(45), miiCode(46)], releaseDate: RELEASE });
    expect(asked).toMatchObject({ included: true, windows: [{ start: Date.UTC(1900, 0, 1), end: at('2025-03-02') }] });
    const notAsked = evaluateMiiConsent(read(retro), { codes: BASIC, releaseDate: RELEASE });
    expect(notAsked).toMatchObject({ included: true, windows: [{ start: at('2020-03-01') }] });
    const notGranted = evaluateMiiConsent(read(full()), { codes: [...BASIC, miiCode(46)], releaseDate: RELEASE });
    expect(notGranted).toMatchObject({ included: true, windows: [{ start: at('2020-03-01') }] });
  });

  it('another code the agreement asks for (e.g. .9) is a gate like .8', () => {
    expect(evaluateMiiConsent(read(full()), { codes: [...BASIC, miiCode(9)], releaseDate: RELEASE })).toEqual({ included: false, reason: 'no-consent' });
  });

  it('the window may widen to the start of an encounter that overlaps it, never to one that does not', () => {
    const window = [{ start: at('2020-03-05'), end: at('2025-03-05') }];
    const stay = periodRange({ start: '2020-03-01T08:00:00Z', end: '2020-03-09T12:00:00Z' });
    const before = periodRange({ start: '2019-01-01T08:00:00Z', end: '2019-01-02T12:00:00Z' });
    expect(widenToEncounters(window, window, [stay, before])).toEqual([{ start: at('2020-03-01T08:00:00Z'), end: at('2025-03-05') }]);
    // Overlap is judged against the consent's window, not one already widened.
    const widened = widenToEncounters(window, window, [stay]);
    const chained = periodRange({ start: '2020-02-25T08:00:00Z', end: '2020-03-02T12:00:00Z' });
    expect(widenToEncounters(window, widened, [chained])).toEqual(widened);
  });
});

describe('Model B: EHDS opt-out register', () => {
  it('a patient on the register is excluded, opted-out; everyone else is included with all their data', () => {
    expect(evaluateOptOut('p-1', new Set(['p-1']))).toEqual({ included: false, reason: 'opted-out' });
    const included = evaluateOptOut('p-2', new Set(['p-1']));
    expect(included).toEqual({ included: true, windows: 'all', denied: [] });
    if (included.included) expect(resourceExclusion(included, at('1950-01-01'))).toBeUndefined();
  });
});

describe('FHIR dates', () => {
  it('a value covers its precision; offsets are honoured', () => {
    expect(fhirDateRange('2020')).toEqual({ start: Date.UTC(2020, 0, 1), end: Date.UTC(2021, 0, 1) });
    expect(fhirDateRange('2020-02')).toEqual({ start: Date.UTC(2020, 1, 1), end: Date.UTC(2020, 2, 1) });
    expect(fhirDateRange('2020-02-29')).toEqual({ start: Date.UTC(2020, 1, 29), end: Date.UTC(2020, 2, 1) });
    expect(fhirDateRange('2022-01-31T23:00:00+01:00')!.start).toBe(Date.UTC(2022, 0, 31, 22));
    expect(fhirDateRange('not a date')).toBeUndefined();
  });

  it('dates a resource by when its data was collected', () => {
    expect(resourceDate({ resourceType: 'Observation', effectiveDateTime: '2021-05-01T10:00:00Z', issued: '2021-05-02T00:00:00Z' })).toBe(at('2021-05-01T10:00:00Z'));
    expect(resourceDate({ resourceType: 'Condition', recordedDate: '2021-05-01', onsetDateTime: '2001-01-01' })).toBe(at('2021-05-01'));
    expect(resourceDate({ resourceType: 'Encounter', period: { start: '2021-05-01T08:00:00Z' } })).toBe(at('2021-05-01T08:00:00Z'));
    expect(resourceDate({ resourceType: 'Observation' })).toBe('undated');
    expect(resourceDate({ resourceType: 'Patient', birthDate: '1950-01-01' })).toBeUndefined();
  });
});
