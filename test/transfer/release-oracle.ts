import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a release under the recommended rules (MII broad consent .6 + .8, no retrospective codes) must contain,
 * worked out from the source files and the rules as docs/health-release.md states them, without the release
 * pipeline: which patients pass the consent gate, which of their resources lie in the consent window, and the
 * keyed pseudonyms their ids become.
 */

const MII = 'urn:oid:2.16.840.1.113883.3.1937.777.24.5.3';
const CODE = { collect: '2.16.840.1.113883.3.1937.777.24.5.3.6', use: '2.16.840.1.113883.3.1937.777.24.5.3.8' };
type Json = Record<string, any>;
type Span = { start: number; end: number };

export const readNdjson = (path: string): Json[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));

/** The per-agreement secret and pseudonyms, as the docs define them (HMAC-SHA-256, 128-bit hex ids). */
export const secretFor = (releaseKey: Buffer, agreementId: string) => createHmac('sha256', releaseKey).update(`hdc-release-secret:${agreementId}`).digest();
export const pseudonym = (secret: Buffer, type: string, id: string) => createHmac('sha256', secret).update(`${type}/${id}`).digest('hex').slice(0, 32);

const patientIdOf = (r: Json): string | undefined => (r.resourceType === 'Patient' ? r.id : /^Patient\/(.+)$/.exec(r.subject?.reference ?? r.patient?.reference ?? '')?.[1]);
const span = (period: Json): Span => ({ start: Date.parse(period.start), end: period.end ? Date.parse(period.end) : Number.POSITIVE_INFINITY });
const within = (s: Span, t: number) => s.start <= t && t <= s.end;
const codeOf = (p: Json) => p.code?.[0]?.coding?.find((c: Json) => c.system === MII)?.code;
const dateOf = (r: Json): number | undefined => {
  const value = { Observation: r.effectiveDateTime ?? r.issued, Condition: r.recordedDate ?? r.onsetDateTime, Encounter: r.period?.start }[r.resourceType as string];
  return value ? Date.parse(value) : undefined;
};

/** Pseudonymous ids by resource type that the release of `dir` at `releaseDate` must hold, and the source ids it must not. */
export function expectedRelease(dir: string, secret: Buffer, releaseDate: Date): { released: Map<string, Set<string>>; includedPatients: string[] } {
  const at = releaseDate.getTime();
  const provisions = new Map<string, { type: string; code: string; span: Span; active: boolean }[]>();
  for (const consent of readNdjson(join(dir, 'Consent.ndjson'))) {
    const patient = patientIdOf(consent)!;
    for (const p of consent.provision?.provision ?? [])
      provisions.set(patient, [...(provisions.get(patient) ?? []), { type: p.type, code: codeOf(p), span: span(p.period), active: consent.status === 'active' }]);
  }
  const encounters = new Map<string, Span[]>();
  for (const e of readNdjson(join(dir, 'Encounter.ndjson'))) encounters.set(patientIdOf(e)!, [...(encounters.get(patientIdOf(e)!) ?? []), span(e.period)]);
  const windows = new Map<string, { permits: Span[]; denied: Span[] }>();
  for (const patient of readNdjson(join(dir, 'Patient.ndjson'))) {
    const own = provisions.get(patient.id) ?? [];
    const permit = (code: string) => own.filter((p) => p.active && p.type === 'permit' && p.code === code);
    const deny = (code: string) => own.filter((p) => p.type === 'deny' && p.code === code);
    const gate = permit(CODE.use).some((p) => within(p.span, at)) && !deny(CODE.use).some((p) => within(p.span, at)) && permit(CODE.collect).length > 0;
    if (!gate) continue;
    const permits = permit(CODE.collect).map(({ span: w }) => {
      const overlapping = (encounters.get(patient.id) ?? []).filter((e) => e.start <= w.end && e.end >= w.start);
      return { start: Math.min(w.start, ...overlapping.map((e) => e.start)), end: w.end };
    });
    windows.set(patient.id, { permits, denied: deny(CODE.collect).map((p) => p.span) });
  }
  const released = new Map<string, Set<string>>();
  for (const type of ['Patient', 'Condition', 'Encounter', 'Observation']) {
    const ids = new Set<string>();
    for (const r of readNdjson(join(dir, `${type}.ndjson`))) {
      const decided = windows.get(patientIdOf(r) ?? '');
      if (!decided) continue;
      const date = dateOf(r);
      if (type !== 'Patient' && (date === undefined || !decided.permits.some((w) => within(w, date)) || decided.denied.some((d) => within(d, date)))) continue;
      ids.add(pseudonym(secret, type, r.id));
    }
    released.set(type, ids);
  }
  return { released, includedPatients: [...windows.keys()] };
}

/** The members of a ustar archive: name → bytes. */
export function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + 512 <= archive.length; ) {
    const name = archive
      .subarray(offset, offset + 100)
      .toString('utf8')
      .replace(/\0.*$/s, '');
    if (!name) break;
    const size = Number.parseInt(
      archive
        .subarray(offset + 124, offset + 136)
        .toString('ascii')
        .replace(/\0.*$/s, ''),
      8,
    );
    files.set(name, archive.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
