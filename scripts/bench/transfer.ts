/**
 * npm run bench:transfer: a 1 GiB file pulled peer to peer between two connector processes (SQLite), the
 * provider checking the agreement and the consumer writing to disk while hashing and verifying the digest,
 * beside a plain node:http pipe of the same file to a file (server and client processes) in the same run.
 * Reports both rates, their ratio, and every process's peak RSS: during the measured transfer, and over the
 * connector's whole life (start-up, credential requests, publication, negotiation, both transfers). Then a
 * released transfer: a synthetic FHIR cohort of about 1 GiB (BENCH_PATIENTS, 63000; generated once and kept
 * under the temp folder for later runs) under the example's release rules, with its rate by source and by
 * released bytes, its ratio to the plain transfer of the same run, and both connectors' peak RSS during it.
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConnector } from '../../connector/server.ts';
import { parseConfig } from '../../connector/config.ts';
import { createLogger } from '../../connector/logger.ts';
import { startConnectorProcess, type ConnectorProcess } from '../dataspace/connector-process.ts';
import { freePort, startScript } from './load.ts';
import { printTable } from './measure.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';
import { sizeOf } from '../../connector/catalog/data-source.ts';
import { NS } from '../../vocab/namespaces.ts';
import { writeDiabetesCohort } from '../synthetic/write-cohort.ts';

const SIZE = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 63000);
const COHORT_SEED = 20261122;
const dir = mkdtempSync(join(tmpdir(), 'bench-transfer-'));
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * Puts the bench cohort at `target` (inside the hospital's data root): hard links to a copy generated once under
 * the temp folder and kept there between runs (a ready marker beside it), a copy where links cannot be made.
 */
async function placeCohort(target: string) {
  const cache = join(tmpdir(), 'hdc-bench-cohort', `${PATIENTS}-${COHORT_SEED}`);
  if (!existsSync(`${cache}.ready`)) {
    console.log(`\nWriting a synthetic cohort of ${PATIENTS} patients to ${cache} (kept for later runs)…`);
    rmSync(cache, { recursive: true, force: true });
    await writeDiabetesCohort(cache, { patients: PATIENTS, seed: COHORT_SEED });
    writeFileSync(`${cache}.ready`, '');
  } else console.log(`\nUsing the synthetic cohort of ${PATIENTS} patients in ${cache}`);
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(cache)) {
    try {
      linkSync(join(cache, name), join(target, name));
    } catch {
      copyFileSync(join(cache, name), join(target, name));
    }
  }
}

// The file is written before the connectors start: a client connection left idle for the seconds it takes
// would be closed by the server just as the client reuses it ("other side closed").
console.log(`Writing a ${(SIZE / 1024 ** 3).toFixed(2)} GiB file…`);
mkdirSync(join(dir, 'hospital', 'data', 'datasets', 'bench'), { recursive: true });
const file = join(dir, 'hospital', 'data', 'datasets', 'bench', 'cohort.bin');
const block = randomBytes(4 * 1024 * 1024);
const fd = openSync(file, 'w');
for (let written = 0; written < SIZE; written += block.length) writeSync(fd, block, 0, Math.min(block.length, SIZE - written));
closeSync(fd);

const logger = createLogger({ level: 'silent' });
const authority = await startConnector(
  parseConfig({ name: 'authority', role: 'governance-authority', port: 0, dataDir: join(dir, 'authority'), logLevel: 'silent', catalogCrawlIntervalSeconds: 0 }),
  { logger },
);
const trustedIssuers = [{ did: authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
const participant = async (key: string, role: 'hospital' | 'research-institute') =>
  startConnectorProcess(
    join(dir, key),
    { name: key, role, port: await freePort(), dataDir: 'data', logLevel: 'info', catalogCrawlIntervalSeconds: 0, trustedIssuers },
    { ...process.env, DATABASE_URL: '' },
  );
const hospital = await participant('hospital', 'hospital');
const institute = await participant('institute', 'research-institute');

try {
  const admin = (path: string, body: unknown) =>
    fetch(`${authority.url}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  for (const [member, role] of [
    [hospital, 'hospital'],
    [institute, 'research-institute'],
  ] as [ConnectorProcess, string][]) {
    await admin('/members', {
      did: member.did,
      name: member.name,
      role,
      dspAddress: dspAddressOf(member.url),
      legalName: member.name,
      registrationNumber: { kind: 'local', value: member.name },
      headquartersCountry: 'LU',
    });
  }
  await admin('/permits', {
    holder: institute.did,
    projectId: 'bench',
    purposes: ['scientific-research'],
    healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
    validUntil: new Date(Date.now() + 86_400_000).toISOString(),
  });
  for (const member of [hospital, institute]) await member.api.post('/wallet/request', { authorityDid: authority.did });

  const example = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));
  /** Publishes `dataset` and negotiates it; returns the agreement id. */
  async function agreementFor(dataset: Record<string, unknown> & { offers: Record<string, unknown>[] }): Promise<string> {
    const added = await hospital.api.post<{ id: string }>('/datasets', dataset);
    const negotiation = await institute.api.post<{ id: string }>('/negotiations', {
      providerDid: hospital.did,
      providerAddress: dspAddressOf(hospital.url),
      offer: { ...dataset.offers[0], target: added.id },
    });
    const agreed = await institute.api.get<{ state: string; agreementId: string }>(`/negotiations/${encodeURIComponent(negotiation.id)}?waitFor=FINALIZED,TERMINATED`);
    if (agreed.state !== 'FINALIZED') throw new Error(`negotiation ${agreed.state}`);
    return agreed.agreementId;
  }
  // The plain file goes under the example's terms without its release rules (a file is not a FHIR folder).
  const plainOffer = {
    ...example.offers[0],
    '@id': 'urn:uuid:bench-plain-offer',
    obligation: example.offers[0].obligation.filter((o: { action: string }) => !o.action.startsWith(NS.hdc)),
  };
  const plainAgreement = await agreementFor({ ...example, offers: [plainOffer], source: { kind: 'file', path: 'bench/cohort.bin' } });

  async function transfer(agreementId = plainAgreement): Promise<{ seconds: number; state: string; size: number }> {
    const t0 = performance.now();
    const started = await institute.api.post<{ id: string }>('/transfers', { agreementId, format: 'HttpData-PULL' });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const t = await institute.api.get<{ state: string; size: number; reasons: string[] }>(`/transfers/${encodeURIComponent(started.id)}`);
      if (t.state === 'COMPLETED') return { seconds: (performance.now() - t0) / 1000, state: t.state, size: t.size };
      if (t.state === 'TERMINATED') throw new Error(`transfer terminated: ${t.reasons.join('; ')}`);
    }
  }
  console.log('First transfer (the provider hashes the file once)…');
  const first = await transfer();
  const lifetimePeak = { hospital: peakRssMb(hospital.child.pid!), institute: peakRssMb(institute.child.pid!) };
  // Restart the high-water marks (Linux clear_refs 5), so the next figures are the measured transfer's own.
  for (const member of [hospital, institute]) writeFileSync(`/proc/${member.child.pid}/clear_refs`, '5');
  console.log('Measured transfer…');
  const measured = await transfer();

  const port = await freePort();
  const server = await startScript('./pipe-server.ts', [String(port), file]);
  const client = await new Promise<{ seconds: number; bytes: number; peakRssKb: number }>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [new URL('./pipe-client.ts', import.meta.url).pathname, `http://127.0.0.1:${port}/`, join(dir, 'pipe.bin')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve({ ...JSON.parse(out), seconds: (performance.now() - t0) / 1000 }) : reject(new Error(`pipe client exited ${code}`))));
  });
  const serverRss = peakRssMb(server.pid!);
  server.kill();

  const rate = (bytes: number, s: number) => bytes / s / 1024 ** 2;
  const ratio = rate(measured.size, measured.seconds) / rate(client.bytes, client.seconds);
  const hospitalRss = peakRssMb(hospital.child.pid!);
  const instituteRss = peakRssMb(institute.child.pid!);
  const hospitalLife = Math.max(lifetimePeak.hospital, hospitalRss);
  const instituteLife = Math.max(lifetimePeak.institute, instituteRss);
  printTable(
    `${(SIZE / 1024 ** 3).toFixed(2)} GiB pulled over loopback, written to disk`,
    [
      ['baseline: node:http pipe, file to file', rate(client.bytes, client.seconds), client.seconds, '1', `${serverRss.toFixed(0)} / ${(client.peakRssKb / 1024).toFixed(0)}`, ''],
      [
        'connector pull (request, start, stream, SHA-256 verified, completion)',
        rate(measured.size, measured.seconds),
        measured.seconds,
        ratio.toFixed(2),
        `${hospitalRss.toFixed(0)} / ${instituteRss.toFixed(0)}`,
        `${hospitalLife.toFixed(0)} / ${instituteLife.toFixed(0)}`,
      ],
      ['first transfer of the file (the provider hashes it first)', rate(first.size, first.seconds), first.seconds, '', '', ''],
    ],
    ['', 'MiB/s', 'seconds', 'ratio', 'peak RSS MB, transfer (server / client)', 'whole life incl. start-up, publication, negotiation'],
  );

  // The released transfer: a synthetic FHIR cohort under the example's release rules, planned at the start
  // (index pass, dry run, digest of the archive) and streamed through the pipeline again to the consumer.
  const cohort = join(hospital.dataDir, 'datasets', 'bench-cohort');
  await placeCohort(cohort);
  const sourceBytes = sizeOf(cohort);
  const releasedAgreement = await agreementFor({
    ...example,
    offers: [{ ...example.offers[0], '@id': 'urn:uuid:bench-released-offer' }],
    source: { kind: 'file', path: 'bench-cohort' },
  });
  for (const member of [hospital, institute]) writeFileSync(`/proc/${member.child.pid}/clear_refs`, '5');
  console.log('Released transfer…');
  const released = await transfer(releasedAgreement);
  // The release itself runs in a child process of the hospital's (with a helper process of its own on a
  // machine with two cores), which logs the time and both peaks when it ends.
  const releaseLog = readFileSync(hospital.logPath, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"release process finished"'))
    .map((line) => JSON.parse(line) as { seconds: number; peakRssMb: number; helperPeakRssMb?: number })
    .at(-1);
  const releaseProcessMb = releaseLog?.peakRssMb ?? 0;
  const releaseHelperMb = releaseLog?.helperPeakRssMb ?? 0;
  const releasedRss = { hospital: peakRssMb(hospital.child.pid!), institute: peakRssMb(institute.child.pid!), releaseProcess: releaseProcessMb, releaseHelper: releaseHelperMb };
  const releasedRatio = rate(sourceBytes, released.seconds) / rate(measured.size, measured.seconds);
  const sourceMbPerSecond = sourceBytes / 1e6 / released.seconds;
  printTable(
    `${PATIENTS} patients (${(sourceBytes / 1024 ** 3).toFixed(2)} GiB of FHIR NDJSON) released and pulled`,
    [
      [
        'released pull, by source bytes (release staged at start, then pulled)',
        rate(sourceBytes, released.seconds),
        released.seconds,
        `${(sourceBytes / 1024 ** 2).toFixed(0)} MiB`,
        releasedRatio.toFixed(3),
        `${releasedRss.hospital.toFixed(0)} / ${releasedRss.institute.toFixed(0)} (release process ${releasedRss.releaseProcess.toFixed(0)}${releaseHelperMb ? `, its helper ${releaseHelperMb.toFixed(0)}` : ''})`,
      ],
      ['released pull, by released bytes', rate(released.size, released.seconds), released.seconds, `${(released.size / 1024 ** 2).toFixed(0)} MiB`, '', ''],
      ['  of which the release at the start, by source bytes', rate(sourceBytes, releaseLog?.seconds ?? Number.NaN), releaseLog?.seconds ?? '', '', '', ''],
    ],
    ['', 'MiB/s', 'seconds', 'bytes', 'ratio to the plain pull', 'peak RSS MB (provider / consumer)'],
  );
  console.log(
    `RESULT ${JSON.stringify({
      plainMiBs: rate(measured.size, measured.seconds),
      ratio,
      cohortPatients: PATIENTS,
      cohortSourceMiB: sourceBytes / 1024 ** 2,
      releasedMiBs: rate(released.size, released.seconds),
      releasedSourceMiBs: rate(sourceBytes, released.seconds),
      releasedSourceMbPerSecond: sourceMbPerSecond,
      releasedRatioToPlain: releasedRatio,
      releaseSeconds: releaseLog?.seconds,
      loadAverage: loadavg()[0],
      releasedPeakRssMb: releasedRss,
    })}`,
  );

  const pass = ratio >= 0.7 && hospitalLife < 200 && instituteLife < 200;
  const releasedPass = sourceMbPerSecond >= 50 && Object.values(releasedRss).every((mb) => mb < 200);
  console.log(
    `\nTargets: ratio ≥ 0.7 (${ratio.toFixed(2)}), peak RSS < 200 MB for both connectors over their whole life (${hospitalLife.toFixed(0)}, ${instituteLife.toFixed(0)}): ${pass ? 'met' : 'NOT met'}`,
  );
  console.log(
    `Released: ≥ 50 MB/s of source NDJSON (${sourceMbPerSecond.toFixed(1)}), peak RSS < 200 MB for both connectors and the release processes (${Object.values(releasedRss)
      .map((mb) => mb.toFixed(0))
      .join(', ')}): ${releasedPass ? 'met' : 'NOT met'}`,
  );
  process.exitCode = pass && releasedPass ? 0 : 1;
} catch (error) {
  // A connector that failed took its reasons into its log, which goes with the bench folder: show them first.
  for (const member of [hospital, institute]) console.error(`--- ${member.name}'s log (end):\n${readFileSync(member.logPath, 'utf8').slice(-3000)}`);
  throw error;
} finally {
  await Promise.all([hospital.stop(), institute.stop(), authority.close()]);
  rmSync(dir, { recursive: true, force: true });
}
