import { beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';
import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { miiCode } from '../../health/mii-consent.ts';
import { RECOMMENDED_RELEASE_RULES, type ReleaseRules } from '../../health/release-rules.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import { tempDir } from '../support/connectors.ts';

type Json = Record<string, any>;

const RELEASE_DATE = new Date('2026-12-01T00:00:00Z');
const SECRET_A = Buffer.alloc(32, 0xa1);
const SECRET_B = Buffer.alloc(32, 0xb2);
const MII: ReleaseRules = { ...RECOMMENDED_RELEASE_RULES, maxDateShiftDays: 0 };
const OPT_OUT: ReleaseRules = { ...RECOMMENDED_RELEASE_RULES, consent: { model: 'ehds-opt-out' } };
const CLINICAL = ['Condition', 'Encounter', 'Observation', 'Patient'];

const lines = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
const readAll = (dir: string, type: string): Json[] => lines(dir, `${type}.ndjson`).map((l) => JSON.parse(l));
const keyed = (secret: Buffer, type: string, id: string) => createHmac('sha256', secret).update(`${type}/${id}`).digest('hex').slice(0, 32);
const owner = (r: Json) => (r.resourceType === 'Patient' ? r.id : (r.subject ?? r.patient).reference.slice(8));

/**
 * Who and what must be released, computed from the source files alone, the way a reader of the MII rules would:
 * for this cohort's Consents (one level of nested provisions, dateTime periods), the .8 gate at the release date,
 * the .6 windows widened to overlapping encounters, .6 denies subtracted.
 */
function expectedMii(dir: string, codes: string[]) {
  const provisions = new Map<string, { status: string; type: string; code: string; start: number; end: number }[]>();
  for (const c of readAll(dir, 'Consent')) {
    const list = provisions.get(owner(c)) ?? [];
    for (const p of c.provision.provision)
      list.push({ status: c.status, type: p.type, code: p.code[0].coding[0].code, start: Date.parse(p.period.start), end: Date.parse(p.period.end) });
    provisions.set(owner(c), list);
  }
  const now = RELEASE_DATE.getTime();
  const decisions = new Map<
    string,
    { reason: string } | { windows: { start: number; end: number }[]; original: { start: number; end: number }[]; denied: { start: number; end: number }[] }
  >();
  for (const patient of readAll(dir, 'Patient')) {
    const all = provisions.get(patient.id) ?? [];
    const active = all.filter((p) => p.status === 'active');
    const covers = (p: { start: number; end: number }, t: number) => p.start <= t && t <= p.end;
    const use = active.filter((p) => p.code === miiCode(8));
    const usePermits = use.filter((p) => p.type === 'permit');
    const collect = active.filter((p) => p.code === miiCode(6) && p.type === 'permit');
    let reason: string | undefined;
    if (usePermits.length === 0)
      reason = use.some((p) => p.type === 'deny' && covers(p, now))
        ? 'denied'
        : all.some((p) => p.status === 'inactive' && p.code === miiCode(8))
          ? 'consent-withdrawn'
          : 'no-consent';
    else if (!usePermits.some((p) => covers(p, now))) reason = 'consent-expired';
    else if (use.some((p) => p.type === 'deny' && covers(p, now))) reason = 'denied';
    else if (collect.length === 0) reason = 'no-consent';
    if (reason) {
      decisions.set(patient.id, { reason });
      continue;
    }
    const retro =
      codes.some((code) => [miiCode(45), miiCode(46)].includes(code)) && active.some((p) => p.type === 'permit' && [miiCode(45), miiCode(46)].includes(p.code) && covers(p, now));
    const windows = collect.map((p) => ({ start: retro ? Date.UTC(1900, 0, 1) : p.start, end: p.end }));
    decisions.set(patient.id, { windows, original: windows, denied: active.filter((p) => p.code === miiCode(6) && p.type === 'deny') });
  }
  for (const e of readAll(dir, 'Encounter')) {
    const d = decisions.get(owner(e));
    if (!d || 'reason' in d) continue;
    const [start, end] = [Date.parse(e.period.start), Date.parse(e.period.end)];
    d.windows = d.windows.map((w, i) => (start < w.start && start < d.original[i]!.end && end > d.original[i]!.start ? { ...w, start } : w));
  }
  const dateOf: Record<string, (r: Json) => string | undefined> = {
    Observation: (r) => r.effectiveDateTime,
    Condition: (r) => r.recordedDate,
    Encounter: (r) => r.period.start,
    Patient: () => undefined,
  };
  const released: Record<string, string[]> = {};
  const reasons: Record<string, number> = {};
  let keptByWidening = 0;
  for (const type of CLINICAL) {
    released[type] = [];
    for (const r of readAll(dir, type)) {
      const d = decisions.get(owner(r))!;
      const date = dateOf[type]!(r);
      const t = date === undefined ? undefined : Date.parse(date);
      let why = 'reason' in d ? d.reason : undefined;
      if (!why && t !== undefined && d && 'denied' in d && d.denied.some((x) => x.start <= t && t <= x.end)) why = 'denied';
      if (!why && t !== undefined && d && 'windows' in d && !d.windows.some((w) => w.start <= t && t <= w.end)) why = 'outside-window';
      if (why) reasons[why] = (reasons[why] ?? 0) + 1;
      else released[type]!.push(r.id);
      if (!why && t !== undefined && 'original' in d && !d.original.some((w) => w.start <= t && t <= w.end)) keptByWidening++;
    }
  }
  return { decisions, released, reasons, keptByWidening };
}

function outputIds(dir: string, type: string): string[] {
  return readAll(dir, type).map((r) => r.id);
}

describe('the release pipeline over the synthetic cohort', () => {
  const source = tempDir();
  const outA = tempDir();
  const outA2 = tempDir();
  const outB = tempDir();
  const outOptOut = tempDir();
  let reportA: Awaited<ReturnType<typeof releaseToFolder>>;
  let reportOptOut: Awaited<ReturnType<typeof releaseToFolder>>;

  beforeAll(async () => {
    await writeDiabetesCohort(source, { patients: 400, seed: 20261122 });
    reportA = await releaseToFolder(folderSource(source), outA, { rules: MII, secret: SECRET_A, releaseDate: RELEASE_DATE });
    await releaseToFolder(folderSource(source), outA2, { rules: MII, secret: SECRET_A, releaseDate: RELEASE_DATE });
    await releaseToFolder(folderSource(source), outB, { rules: MII, secret: SECRET_B, releaseDate: RELEASE_DATE });
    reportOptOut = await releaseToFolder(folderSource(source), outOptOut, { rules: OPT_OUT, secret: SECRET_A, releaseDate: RELEASE_DATE });
  });

  it('MII broad consent: releases exactly the patients and resources a reference computation from the source allows, in source order', () => {
    const expected = expectedMii(source, MII.consent.model === 'mii-broad-consent' ? MII.consent.policyCodes : []);
    for (const type of CLINICAL) expect(outputIds(outA, type)).toEqual(expected.released[type]!.map((id) => keyed(SECRET_A, type, id)));
    const excludedPatients = [...expected.decisions.values()].filter((d) => 'reason' in d).length;
    expect(reportA.patients.source).toBe(400);
    expect(reportA.patients.released).toBe(400 - excludedPatients);
    const { 'consent-record': consents, ...excluded } = reportA.resources.excluded;
    expect(Object.fromEntries(Object.entries(excluded).filter(([, n]) => n > 0))).toEqual(expected.reasons);
    expect(consents).toBe(readAll(source, 'Consent').length);
    // The cohort exercises the encounter rule: consents signed during a stay keep the stay's first day.
    expect(expected.keptByWidening).toBeGreaterThan(10);
  });

  it('asking for .45/.46 releases the earlier data of the patients who granted them, as the reference computes', async () => {
    const codes = [miiCode(6), miiCode(8), miiCode(45), miiCode(46)];
    const out = tempDir();
    const report = await releaseToFolder(folderSource(source), out, {
      rules: { ...MII, consent: { model: 'mii-broad-consent', policyCodes: codes } },
      secret: SECRET_A,
      releaseDate: RELEASE_DATE,
    });
    const expected = expectedMii(source, codes);
    for (const type of CLINICAL) expect(outputIds(out, type)).toEqual(expected.released[type]!.map((id) => keyed(SECRET_A, type, id)));
    expect(report.resources.released).toBeGreaterThan(reportA.resources.released);
    expect(report.patients.released).toBe(reportA.patients.released);
  });

  it('the mix of the cohort shows in the report: every exclusion reason occurs', () => {
    for (const reason of ['no-consent', 'consent-expired', 'consent-withdrawn', 'denied'] as const) expect(reportA.patients.excluded[reason]).toBeGreaterThan(0);
    expect(reportA.resources.excluded['outside-window']).toBeGreaterThan(0);
    const r = reportA.resources;
    expect(r.source).toBe(Object.values(r.excluded).reduce((a, b) => a + b, 0) + r.released);
  });

  it('EHDS opt-out: releases everyone but the patients on the register, with all their resources', () => {
    const optedOut = new Set(lines(source, 'opt-out-register.txt').filter((l) => !l.startsWith('#')));
    for (const type of CLINICAL)
      expect(outputIds(outOptOut, type)).toEqual(
        readAll(source, type)
          .filter((r) => !optedOut.has(owner(r)))
          .map((r) => keyed(SECRET_A, type, r.id)),
      );
    expect(reportOptOut.patients.excluded['opted-out']).toBe(optedOut.size);
  });

  it('writes the released NDJSON files under the source names, and never the Consents or the register', () => {
    expect(readdirSync(outA).sort()).toEqual(CLINICAL.map((t) => `${t}.ndjson`));
    expect(reportA.files.map((f) => f.name)).toEqual(CLINICAL.map((t) => `${t}.ndjson`));
  });

  it('no source patient id, name, address, telecom or identifier value, and no source resource id, appears anywhere in the output or the report', () => {
    const ndjson = CLINICAL.map((t) => readFileSync(join(outA, `${t}.ndjson`), 'utf8')).join('') + readFileSync(join(outOptOut, 'Patient.ndjson'), 'utf8');
    const released = new Set<string>();
    const collect = (value: unknown): void => {
      if (typeof value === 'string') value.split('/').forEach((part) => released.add(part));
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    ndjson
      .split('\n')
      .filter(Boolean)
      .forEach((line) => collect(JSON.parse(line)));
    collect(reportA);
    const sensitive = new Set<string>();
    for (const p of readAll(source, 'Patient')) {
      for (const n of [...p.name, ...p.contact.map((c: Json) => c.name)]) [n.family, ...n.given].forEach((s: string) => sensitive.add(s));
      [...p.telecom, ...p.contact.flatMap((c: Json) => c.telecom)].forEach((t: Json) => sensitive.add(t.value));
      p.identifier.forEach((i: Json) => sensitive.add(i.value));
      p.address.forEach((a: Json) => [...a.line, a.city, a.postalCode, p.birthDate].forEach((s: string) => sensitive.add(s)));
    }
    for (const type of [...CLINICAL, 'Consent'])
      for (const r of readAll(source, type)) [r.id, ...(r.identifier ?? []).map((i: Json) => i.value)].forEach((s: string) => sensitive.add(s));
    // A city may share its name with the state kept in the address (Luxembourg, Luxembourg).
    const states = new Set(readAll(source, 'Patient').map((p) => p.address[0].state));
    expect([...sensitive].filter((s) => released.has(s) && !states.has(s))).toEqual([]);
    expect(ndjson).not.toMatch(/hospital\.example|"text":\{"status"|"source":|"identifier"|"name"|"telecom"|"contact"/);
  });

  it('pseudonyms: one secret gives the same pseudonym twice (byte-identical runs); two secrets give different pseudonyms for the same patient', () => {
    for (const t of CLINICAL) expect(readFileSync(join(outA2, `${t}.ndjson`)).equals(readFileSync(join(outA, `${t}.ndjson`)))).toBe(true);
    const a = outputIds(outA, 'Patient');
    const b = outputIds(outB, 'Patient');
    expect(a).toHaveLength(b.length);
    expect(a.filter((id, i) => id === b[i])).toEqual([]);
    expect(new Set([...a, ...b]).size).toBe(a.length * 2);
  });

  it('references to the patient are rewritten with the patient’s pseudonym in every released resource', () => {
    const patients = new Set(outputIds(outA, 'Patient').map((id) => `Patient/${id}`));
    for (const type of ['Condition', 'Encounter', 'Observation']) for (const r of readAll(outA, type)) expect(patients.has(r.subject.reference)).toBe(true);
  });

  it('a date shift moves every date of a patient by the same days, within the agreed maximum', async () => {
    const shifted = tempDir();
    await releaseToFolder(folderSource(source), shifted, { rules: OPT_OUT, secret: SECRET_A, releaseDate: RELEASE_DATE });
    const unshifted = tempDir();
    await releaseToFolder(folderSource(source), unshifted, { rules: { ...OPT_OUT, maxDateShiftDays: 0 }, secret: SECRET_A, releaseDate: RELEASE_DATE });
    const shiftOf = new Map<string, number>();
    const [before, after] = [readAll(unshifted, 'Observation'), readAll(shifted, 'Observation')];
    for (const [i, o] of after.entries()) {
      const days = Math.round((Date.parse(o.effectiveDateTime) - Date.parse(before[i]!.effectiveDateTime)) / 86_400_000);
      expect(Math.abs(days)).toBeLessThanOrEqual(30);
      expect(shiftOf.get(o.subject.reference) ?? days).toBe(days);
      shiftOf.set(o.subject.reference, days);
    }
    expect(new Set(shiftOf.values()).size).toBeGreaterThan(20);
  });
});

describe('malformed input fails with the file and line number, never the content', () => {
  const source = tempDir();
  beforeAll(async () => {
    await writeDiabetesCohort(source, { patients: 30, seed: 3 });
  });

  async function failureWith(file: string, line: number, replacement: string, rules = MII): Promise<Error> {
    const broken = tempDir();
    for (const f of readdirSync(source)) copyFileSync(join(source, f), join(broken, f));
    const all = lines(source, file);
    all[line - 1] = replacement;
    writeFileSync(join(broken, file), `${all.join('\n')}\n`);
    return releaseToFolder(folderSource(broken), tempDir(), { rules, secret: SECRET_A, releaseDate: RELEASE_DATE }).then(
      () => {
        throw new Error('expected a failure');
      },
      (error: Error) => error,
    );
  }

  it('a line that is not JSON, in a clinical file (transform stage) or the Consents (index pass)', async () => {
    const secretBit = '{"resourceType":"Observation","id":"o-1","subject":{"reference":"Patient/p-000001"},"name":"Schmit';
    const error = await failureWith('Observation.ndjson', 17, secretBit);
    expect(error).toBeInstanceOf(ReleaseInputError);
    expect(error.message).toBe('Observation.ndjson line 17: not valid JSON');
    expect(error.message).not.toContain('Schmit');
    expect((await failureWith('Consent.ndjson', 3, '{"resourceType":')).message).toBe('Consent.ndjson line 3: not valid JSON');
  });

  it('a resource of another type than the file, or without an id', async () => {
    expect((await failureWith('Encounter.ndjson', 2, '{"resourceType":"Patient","id":"p-000001"}')).message).toBe('Encounter.ndjson line 2: expected a Encounter resource');
    expect((await failureWith('Patient.ndjson', 5, '{"resourceType":"Patient"}')).message).toBe('Patient.ndjson line 5: the resource has no valid id');
  });

  it('a Patient id that appears twice', async () => {
    expect((await failureWith('Patient.ndjson', 4, lines(source, 'Patient.ndjson')[0]!)).message).toBe('Patient.ndjson line 4: a Patient id that appeared before');
  });

  it('rules that do not hold, a short secret, or an EHDS release without its register are refused before anything is read', async () => {
    const options = { rules: MII, secret: SECRET_A, releaseDate: RELEASE_DATE };
    await expect(
      releaseToFolder(folderSource(source), tempDir(), { ...options, rules: { ...MII, consent: { model: 'mii-broad-consent', policyCodes: [miiCode(8)] } } }),
    ).rejects.toThrow(/needs policy code 2\.16\.840\.1\.113883\.3\.1937\.777\.24\.5\.3\.6/);
    await expect(releaseToFolder(folderSource(source), tempDir(), { ...options, secret: Buffer.alloc(16) })).rejects.toThrow(/at least 32 bytes/);
    const withoutRegister = tempDir();
    for (const f of readdirSync(source).filter((f) => f.endsWith('.ndjson'))) copyFileSync(join(source, f), join(withoutRegister, f));
    await expect(releaseToFolder(folderSource(withoutRegister), tempDir(), { ...options, rules: OPT_OUT })).rejects.toThrow(
      'opt-out-register.txt: the EHDS opt-out model needs the opt-out register beside the NDJSON files',
    );
  });

  it('an opt-out register line that is no Patient id, under the opt-out model', async () => {
    expect((await failureWith('opt-out-register.txt', 2, 'p-000001; Marie Schmit', OPT_OUT)).message).toBe('opt-out-register.txt line 2: not a Patient id');
  });
});
