import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../connector/logger.ts';
import { startConnector, type RunningConnector } from '../../connector/server.ts';
import { RELEASE_KEY_FILE } from '../../connector/identity/release-key.ts';
import { RECOMMENDED_RELEASE_RULES, withReleaseObligations } from '../../health/release-rules.ts';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';
import { dashboardPage, managementFetch, tempDir } from '../support/connectors.ts';
import { transfersCommand } from '../../connector/cli/transfer-commands.ts';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from './support.ts';
import { expectedRelease, pseudonym, readNdjson, secretFor, untar } from './release-oracle.ts';

/**
 * A reverse proxy in front of the hospital (its public URL), so a test can cut the first data pull after
 * `cutAfter` bytes and restart the hospital behind it on another port.
 */
async function cuttingProxy() {
  const state = { target: 0, cutAfter: 0, onCut: async () => {}, ranges: [] as (string | undefined)[] };
  const server: Server = createServer((req, res) => {
    const isPull = req.method === 'GET' && req.url?.startsWith('/data/');
    if (isPull) state.ranges.push(req.headers.range);
    const upstream = request({ host: '127.0.0.1', port: state.target, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      if (!isPull || state.cutAfter === 0) return void up.pipe(res);
      const cutAfter = state.cutAfter;
      state.cutAfter = 0;
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        if (sent >= cutAfter) return;
        res.write(chunk.subarray(0, cutAfter - sent));
        sent += chunk.length;
        if (sent >= cutAfter) {
          res.destroy();
          up.destroy();
          void state.onCut();
        }
      });
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

describe('transfers under release rules carry the released cohort', () => {
  let trio: Trio;
  let proxy: Awaited<ReturnType<typeof cuttingProxy>>;
  const restarted: RunningConnector[] = [];
  beforeAll(async () => {
    proxy = await cuttingProxy();
    trio = await startTrio({ hospital: { publicUrl: proxy.url } });
    proxy.state.target = trio.hospital.port;
    await onboard(trio);
  });
  afterAll(async () => {
    for (const connector of restarted) await connector.close();
    proxy.close();
  });

  const hospitalRoot = () => trio.hospital.ctx.config.dataRoot;

  /** A synthetic cohort in its own folder of the hospital's data root, offered under the recommended release rules. */
  async function releasedDataset(folder: string, patients = 80) {
    await writeDiabetesCohort(join(hospitalRoot(), folder), { patients, seed: 20261201 });
    return exampleDataset(trio.hospital, { offers: [withReleaseObligations(researchOffer(), RECOMMENDED_RELEASE_RULES)], source: { kind: 'file', path: folder } });
  }

  async function providerSide(agreementId: string, state = 'COMPLETED') {
    const { transfers } = await jsonOf(await managementFetch(trio.hospital, `/transfers?role=provider&agreementId=${encodeURIComponent(agreementId)}`));
    return waitForTransfer(trio.hospital, transfers[0].id, [state]);
  }

  async function pulled(agreementId: string) {
    const started = await startTransfer(trio.institute, agreementId);
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED'], 40_000);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    return { done, files: untar(readFileSync(done.receivedPath)) };
  }

  const releasedIds = (file: Buffer | undefined) =>
    new Set(
      (file ?? Buffer.alloc(0))
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).id as string),
    );

  it('releases only consenting patients and their resources inside the consent window, under pseudonyms, with the report', async () => {
    const dataset = await releasedDataset('cohort-a');
    const agreementId = await agreementFor(trio, dataset);
    const { done, files } = await pulled(agreementId);
    const provider = await providerSide(agreementId);
    expect(provider.digest).toBe(done.digest);
    expect(sha256(readFileSync(done.receivedPath))).toBe(done.digest);

    const source = join(hospitalRoot(), 'cohort-a');
    const keyFile = join(trio.hospital.ctx.config.dataDir, RELEASE_KEY_FILE);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(keyFile).size).toBe(32);
    const secret = secretFor(readFileSync(keyFile), agreementId);
    const expected = expectedRelease(source, secret, new Date(provider.release.releaseDate));
    expect([...files.keys()]).toEqual(['Condition.ndjson', 'Encounter.ndjson', 'Observation.ndjson', 'Patient.ndjson']);
    expect(expected.includedPatients.length).toBeGreaterThan(10);
    for (const [type, ids] of expected.released) expect(releasedIds(files.get(`${type}.ndjson`)), type).toEqual(ids);

    // Nothing that names a patient in the source reaches the recipient.
    const received = readFileSync(done.receivedPath).toString('utf8');
    for (const patient of readNdjson(join(source, 'Patient.ndjson'))) {
      const names = (patient.name ?? []).flatMap((n: any) => [n.family, ...(n.given ?? [])]);
      for (const value of [patient.id, ...names, ...(patient.identifier ?? []).map((i: any) => i.value), ...(patient.telecom ?? []).map((t: any) => t.value)]) {
        expect(received.includes(`"${value}"`) || received.includes(`/${value}"`), `source value ${value}`).toBe(false);
      }
    }
    for (const type of ['Condition', 'Encounter', 'Observation']) for (const r of readNdjson(join(source, `${type}.ndjson`))) expect(received.includes(`"${r.id}"`)).toBe(false);

    // The report: counts only, the same on both sides, matching what was released.
    expect(done.release).toEqual(provider.release);
    expect(done.release.patients.released).toBe(expected.includedPatients.length);
    expect(done.release.resources.byType.Observation.released).toBe(expected.released.get('Observation')!.size);
    expect(JSON.stringify(done.release)).not.toMatch(/p-\d{6}/);
    expect(await dashboardPage(trio.institute)).toContain(`${expected.includedPatients.length} of 80 patients`);
    const apiKeyFile = join(tempDir(), 'api-key');
    writeFileSync(apiKeyFile, trio.institute.ctx.apiKey);
    const shown: string[] = [];
    await transfersCommand(['show', done.id, '--url', trio.institute.url, '--api-key-file', apiKeyFile], (line) => shown.push(line));
    expect(shown.join('\n')).toContain(`patients: 80 in the source, ${expected.includedPatients.length} released; excluded: `);
    const audit = await jsonOf(await managementFetch(trio.institute, `/audit?type=transfer.completed&subject=${encodeURIComponent(done.id)}`));
    expect(audit.entries[0].details.release).toMatchObject({ included: expected.includedPatients.length, resourcesReleased: done.release.resources.released });
    const providerAudit = await jsonOf(await managementFetch(trio.hospital, `/audit?type=transfer.completed&subject=${encodeURIComponent(provider.id)}`));
    expect(providerAudit.entries[0].details.release).toEqual(audit.entries[0].details.release);
  });

  it('gives the same pseudonyms to two transfers under one agreement and unlinkable ones under another agreement', async () => {
    const dataset = await releasedDataset('cohort-b', 40);
    const first = await agreementFor(trio, dataset);
    const a1 = await pulled(first);
    const a2 = await pulled(first);
    expect(releasedIds(a2.files.get('Patient.ndjson'))).toEqual(releasedIds(a1.files.get('Patient.ndjson')));
    const second = await startNegotiationAgain(dataset);
    const b = await pulled(second);
    const underFirst = releasedIds(a1.files.get('Patient.ndjson'));
    const underSecond = releasedIds(b.files.get('Patient.ndjson'));
    expect(underSecond.size).toBe(underFirst.size);
    expect([...underSecond].filter((id) => underFirst.has(id))).toEqual([]);
  });

  /** A second agreement for a dataset already published. */
  async function startNegotiationAgain(dataset: any): Promise<string> {
    const response = await managementFetch(trio.institute, '/negotiations', {
      method: 'POST',
      body: JSON.stringify({ providerDid: trio.hospital.did, providerAddress: `${trio.hospital.url}/dsp/2025-1`, offer: { ...dataset.offers[0], target: dataset.id } }),
    });
    const { id } = await jsonOf(response);
    const done = await jsonOf(await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(id)}?waitFor=FINALIZED,TERMINATED`));
    expect(done.state).toBe('FINALIZED');
    return done.agreementId;
  }

  it('pushes the released cohort with its report just as a pull receives it', async () => {
    const dataset = await releasedDataset('cohort-p', 30);
    const agreementId = await agreementFor(trio, dataset);
    const started = await startTransfer(trio.institute, agreementId, 'HttpData-PUSH');
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    const provider = await providerSide(agreementId);
    expect(done.digest).toBe(provider.digest);
    expect(done.release).toEqual(provider.release);
    const files = untar(readFileSync(done.receivedPath));
    expect(releasedIds(files.get('Patient.ndjson')).size).toBe(provider.release.patients.released);
  });

  it('honours a consent withdrawn between two transfers at the next transfer', async () => {
    const dataset = await releasedDataset('cohort-c', 40);
    const agreementId = await agreementFor(trio, dataset);
    const before = await pulled(agreementId);
    const consentFile = join(hospitalRoot(), 'cohort-c', 'Consent.ndjson');
    const consents = readNdjson(consentFile);
    const secret = secretFor(readFileSync(join(trio.hospital.ctx.config.dataDir, RELEASE_KEY_FILE)), agreementId);
    const released = releasedIds(before.files.get('Patient.ndjson'));
    const withdrawing = consents.find((c) => c.status === 'active' && released.has(pseudonym(secret, 'Patient', c.patient.reference.slice('Patient/'.length))))!;
    withdrawing.status = 'inactive';
    writeFileSync(consentFile, consents.map((c) => `${JSON.stringify(c)}\n`).join(''));

    const after = await pulled(agreementId);
    const gone = pseudonym(secret, 'Patient', withdrawing.patient.reference.slice('Patient/'.length));
    expect(released.has(gone)).toBe(true);
    expect(releasedIds(after.files.get('Patient.ndjson'))).toEqual(new Set([...released].filter((id) => id !== gone)));
    expect(after.done.release.patients.excluded['consent-withdrawn']).toBe(before.done.release.patients.excluded['consent-withdrawn'] + 1);
  });

  it('resumes a pull cut mid-transfer after the hospital restarted, with the same bytes and digest', async () => {
    const dataset = await releasedDataset('cohort-d', 60);
    const agreementId = await agreementFor(trio, dataset);
    proxy.state.ranges = [];
    proxy.state.cutAfter = 100_000;
    proxy.state.onCut = async () => {
      // The plan lives only in the old process's memory: the new one plans again from the stored release date.
      const config = trio.hospital.ctx.config;
      await trio.hospital.close();
      trio.hospital = await startConnector({ ...config, port: 0 }, { logger: createLogger({ level: 'silent' }) });
      restarted.push(trio.hospital);
      proxy.state.target = trio.hospital.port;
    };
    const { done, files } = await pulled(agreementId);
    expect(proxy.state.ranges[0]).toBeUndefined();
    expect(proxy.state.ranges.at(-1)).toMatch(/^bytes=\d+-$/);
    // It resumed from what had reached its disk before the cut, from a hospital that had restarted meanwhile.
    const resumedAt = Number(/bytes=(\d+)-/.exec(proxy.state.ranges.at(-1)!)![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(restarted).toHaveLength(1);
    const provider = await providerSide(agreementId);
    expect(done.digest).toBe(provider.digest);
    expect(sha256(readFileSync(done.receivedPath))).toBe(provider.digest);
    expect(provider.release.files.map((f: any) => [f.name, f.sha256])).toEqual([...files].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')]));
  });

  it('ends a transfer whose source changed mid-transfer, naming the reason, rather than sending other bytes', async () => {
    const dataset = await releasedDataset('cohort-e', 60);
    const agreementId = await agreementFor(trio, dataset);
    proxy.state.cutAfter = 100_000;
    proxy.state.onCut = async () =>
      appendFileSync(
        join(hospitalRoot(), 'cohort-e', 'Observation.ndjson'),
        `${JSON.stringify({ resourceType: 'Observation', id: 'late', status: 'final', subject: { reference: 'Patient/p-000001' }, effectiveDateTime: '2025-01-01T00:00:00Z' })}\n`,
      );
    const started = await startTransfer(trio.institute, agreementId);
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED'], 40_000);
    expect(done.state).toBe('TERMINATED');
    expect(done.reasons.join(' ')).toMatch(/dataset changed since this transfer started/);
    expect((await providerSide(agreementId, 'TERMINATED')).reasons.join(' ')).toMatch(/dataset changed/);
  });

  it('refuses at start a dataset under release rules that is not a folder of FHIR NDJSON files', async () => {
    mkdirSync(join(hospitalRoot(), 'exports'), { recursive: true });
    writeFileSync(join(hospitalRoot(), 'exports', 'cohort.ndjson'), '{"resourceType":"Patient","id":"p1"}\n');
    const dataset = exampleDataset(trio.hospital, {
      offers: [withReleaseObligations(researchOffer(), RECOMMENDED_RELEASE_RULES)],
      source: { kind: 'file', path: 'exports/cohort.ndjson' },
    });
    const agreementId = await agreementFor(trio, dataset);
    const started = await startTransfer(trio.institute, agreementId);
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state).toBe('TERMINATED');
    expect(done.reasons.join(' ')).toMatch(/release rules need a folder of FHIR NDJSON files/);
    const remote = exampleDataset(trio.hospital, {
      offers: [withReleaseObligations(researchOffer(), RECOMMENDED_RELEASE_RULES)],
      source: { kind: 'http', url: 'http://127.0.0.1:9/exports/Patient.ndjson' },
      distributions: [
        {
          format: 'http://publications.europa.eu/resource/authority/file-type/JSON',
          mediaType: 'http://www.iana.org/assignments/media-types/application/fhir+ndjson',
          byteSize: 1000,
        },
      ],
    });
    const remoteTransfer = await startTransfer(trio.institute, await agreementFor(trio, remote));
    const refused = await waitForTransfer(trio.institute, remoteTransfer.id, ['COMPLETED', 'TERMINATED']);
    expect(refused.state).toBe('TERMINATED');
    expect(refused.reasons.join(' ')).toMatch(/release rules need a folder of FHIR NDJSON files; this dataset is an http\(s\) source/);
  });
});
