import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadDigest, payloadReadable, type Payload } from '../../connector/data-plane/payload.ts';
import { encodeReleaseReport, RELEASE_REPORT_HEADER } from '../../connector/data-plane/release-payload.ts';
import { planServe } from '../../connector/data-plane/serve.ts';
import { releasePlanner } from '../../connector/transfer/release-plans.ts';
import { decodeReleaseReport, releaseCounts } from '../../connector/transfer/release-report.ts';
import { RECOMMENDED_RELEASE_RULES } from '../../health/release-rules.ts';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';
import { untar } from './release-oracle.ts';

const read = async (payload: Payload, start?: number, end?: number) => Buffer.concat(await payloadReadable(payload, start, end).toArray());

describe('a released payload (the tar of a planned release)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hdc-release-payload-'));
  const releaseKey = randomBytes(32);
  const releaseDate = new Date('2026-12-01T10:00:00Z');
  const inputs = { transferId: 't1', agreementId: 'urn:uuid:a1', rules: RECOMMENDED_RELEASE_RULES, folder: dir, name: 'cohort', releaseDate };
  let payload: Payload;
  let whole: Buffer;
  beforeAll(async () => {
    await writeDiabetesCohort(dir, { patients: 40, seed: 3 });
    ({ payload } = await releasePlanner({ releaseKey }).released(inputs));
    whole = await read(payload);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a ustar archive of the released files in planned order, each dated the release date', () => {
    expect(whole.length).toBe(payload.size);
    expect(payload.name).toBe('cohort.tar');
    expect([...untar(whole).keys()]).toEqual(['Condition.ndjson', 'Encounter.ndjson', 'Observation.ndjson', 'Patient.ndjson']);
    const mtime = Number.parseInt(whole.subarray(136, 148).toString('ascii').replace(/\0.*$/s, ''), 8);
    expect(mtime * 1000).toBe(releaseDate.getTime());
  });

  it('serves any byte range as the same bytes as the whole, and its digest is that of the whole', async () => {
    for (const [start, end] of [
      [0, 1],
      [511, 513],
      [1000, 90_000],
      [payload.size - 1500, payload.size],
    ])
      expect((await read(payload, start, end)).equals(whole.subarray(start, end))).toBe(true);
    expect(await payloadDigest(payload)).toBe(createHash('sha256').update(whole).digest('base64'));
  });

  it('is planned again to the same bytes by a fresh planner (a restarted provider) from the same inputs', async () => {
    const again = await releasePlanner({ releaseKey }).released({ ...inputs, expected: (await releasePlanner({ releaseKey }).released(inputs)).report.files });
    expect((await read(again.payload)).equals(whole)).toBe(true);
    expect(again.payload.fingerprint).toBe(payload.fingerprint);
  });

  it('is staged once in a folder of its own, served from there, and deleted when its transfer is forgotten or evicted', async () => {
    const stagingDir = join(dir, '..', `${dir.split('/').pop()}-staging`);
    mkdirSync(join(stagingDir, 'left-from-a-previous-process'), { recursive: true });
    const planner = releasePlanner({ releaseKey, stagingDir, maxPlans: 2 });
    expect(existsSync(stagingDir)).toBe(false); // emptied: a staged release does not outlive its process
    const first = await planner.released(inputs);
    expect((await read(first.payload)).equals(whole)).toBe(true);
    expect(readdirSync(stagingDir)).toHaveLength(1);
    expect(readdirSync(join(stagingDir, readdirSync(stagingDir)[0]!)).sort()).toEqual(first.report.files.map((f) => f.name).sort());
    expect(await planner.released(inputs)).toBe(first); // the same staged release, not a second one
    const staged = () =>
      readdirSync(stagingDir)
        .map((d) => d.replace(/-\d+$/, ''))
        .sort();
    /** Staged folders are deleted in the background: waits until `expected` are the ones left (or 5 s). */
    const stagedBecome = async (expected: string[]) => {
      for (let waited = 0; waited < 5000 && staged().join() !== expected.join(); waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(staged()).toEqual(expected);
    };
    for (const transferId of ['t2', 't3']) await planner.released({ ...inputs, transferId });
    await stagedBecome(['t2', 't3']); // t1 evicted: at most two kept
    planner.forget('t2');
    await stagedBecome(['t3']);
    rmSync(stagingDir, { recursive: true, force: true });
  });

  it('carries its report in the Hdc-Release-Report header, which the consumer reads back checked', async () => {
    const { report } = await releasePlanner({ releaseKey }).released(inputs);
    const header = planServe(payload, 'x', undefined).headers[RELEASE_REPORT_HEADER]!;
    expect(decodeReleaseReport(header)).toEqual(report);
    expect(releaseCounts(report)).toMatchObject({ included: report.patients.released, excluded: report.patients.source - report.patients.released });
  });
});

describe('a release report from a peer', () => {
  const report = {
    releaseDate: '2026-12-01T00:00:00.000Z',
    consentModel: 'mii-broad-consent',
    patients: { source: 2, released: 1, excluded: { 'no-consent': 1, 'consent-expired': 0, 'consent-withdrawn': 0, denied: 0, 'opted-out': 0 } },
    resources: {
      source: 3,
      released: 1,
      excluded: {
        'no-consent': 1,
        'consent-expired': 0,
        'consent-withdrawn': 0,
        denied: 0,
        'opted-out': 0,
        'outside-window': 0,
        'consent-record': 1,
        'no-patient': 0,
        'unknown-patient': 0,
      },
      byType: { Patient: { source: 2, released: 1 }, Consent: { source: 1, released: 0 } },
    },
    files: [{ name: 'Patient.ndjson', resources: 1, bytes: 40, sha256: 'a'.repeat(64) }],
  } as const;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('is kept when it is a report of counts', () => {
    expect(decodeReleaseReport(encodeReleaseReport(report as never))).toEqual(report);
  });

  it('is dropped when it is not valid JSON, carries anything but counts, or counts below zero', () => {
    expect(decodeReleaseReport('not base64 json')).toBeUndefined();
    expect(decodeReleaseReport(encode({ ...report, patientIds: ['p-1'] }))).toBeUndefined();
    expect(decodeReleaseReport(encode({ ...report, patients: { ...report.patients, released: -1 } }))).toBeUndefined();
    expect(decodeReleaseReport(encode({ ...report, files: [{ ...report.files[0], sha256: 'p-000001' }] }))).toBeUndefined();
    expect(decodeReleaseReport(undefined)).toBeUndefined();
  });
});
