/**
 * npm run bench:negotiation: a hospital and a research institute, each its own process on loopback (SQLite),
 * run 200 full DSP negotiations with credentials, 20 in flight: the provider fetches and verifies the
 * institute's presentation, evaluates the ODRL policy, both sign the agreement. Reports negotiations per
 * second, latency, failures, and CPU per negotiation beside the raw Ed25519 cost of its signatures, measured
 * in the same run.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConnector } from '../../connector/server.ts';
import { parseConfig } from '../../connector/config.ts';
import { createLogger } from '../../connector/logger.ts';
import { startConnectorProcess, type ConnectorProcess } from '../dataspace/connector-process.ts';
import { freePort } from './load.ts';
import { measureRate, percentile, printTable } from './measure.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';

const TOTAL = Number(process.env.BENCH_NEGOTIATIONS ?? 200);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 20);
/**
 * Signatures and verifications of one negotiation, counted from the protocol: ID tokens and access tokens
 * for the request, the presentation query, the agreement, the verification and the finalized event (9 JWT
 * signatures, 6 JWT verifications), the presentation (1 signature, 1 verification; its credentials are
 * cached after the first), the agreement credential (1 signature; 1 verification by the consumer before it
 * counter-signs), the counter-signature (1 signature), the provider's check of both proofs (2 verifications).
 */
const SIGNATURES = 12;
const VERIFICATIONS = 10;

const dir = mkdtempSync(join(tmpdir(), 'bench-negotiation-'));
const logger = createLogger({ level: 'silent' });
const authority = await startConnector(
  parseConfig({ name: 'authority', role: 'governance-authority', port: 0, dataDir: join(dir, 'authority'), logLevel: 'silent', catalogCrawlIntervalSeconds: 0 }),
  { logger },
);
const trustedIssuers = [{ did: authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
const participant = async (key: string, role: 'hospital' | 'research-institute') =>
  startConnectorProcess(
    join(dir, key),
    { name: key, role, port: await freePort(), dataDir: 'data', logLevel: 'warn', catalogCrawlIntervalSeconds: 0, trustedIssuers },
    { ...process.env, DATABASE_URL: '', NODE_OPTIONS: process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` : '' },
  );
const hospital = await participant('hospital', 'hospital');
const institute = await participant('institute', 'research-institute');

function cpuSeconds(p: ConnectorProcess): number {
  const fields = readFileSync(`/proc/${p.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
}

try {
  const authorityApi = {
    post: (path: string, body: unknown) =>
      fetch(`${authority.url}/api${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
  for (const [member, role] of [
    [hospital, 'hospital'],
    [institute, 'research-institute'],
  ] as const) {
    const response = await authorityApi.post('/members', {
      did: member.did,
      name: member.name,
      role,
      dspAddress: dspAddressOf(member.url),
      legalName: member.name,
      registrationNumber: { kind: 'local', value: member.name },
      headquartersCountry: 'LU',
    });
    if (response.status !== 201) throw new Error(`admitting ${member.name}: ${await response.text()}`);
  }
  await authorityApi.post('/permits', {
    holder: institute.did,
    projectId: 'bench',
    purposes: ['scientific-research'],
    healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
    validUntil: new Date(Date.now() + 86_400_000).toISOString(),
  });
  for (const member of [hospital, institute]) await member.api.post('/wallet/request', { authorityDid: authority.did });
  mkdirSync(join(hospital.dataDir, 'datasets', 'diabetes-cohort'), { recursive: true });
  const dataset = await hospital.api.post<{ id: string; offers: string[] }>(
    '/datasets',
    JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8')),
  );
  const offer = { ...JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8')).offers[0], target: dataset.id };

  async function negotiate(): Promise<{ ms: number; ok: boolean; reasons?: string[] }> {
    const t0 = performance.now();
    const started = await institute.api.post<{ id: string }>('/negotiations', { providerDid: hospital.did, providerAddress: dspAddressOf(hospital.url), offer });
    // One long-polling request per negotiation, answered when it is final.
    const n = await institute.api.get<{ state: string; reasons: string[] }>(`/negotiations/${encodeURIComponent(started.id)}?waitFor=FINALIZED,TERMINATED&timeoutMs=60000`);
    return n.state === 'FINALIZED' ? { ms: performance.now() - t0, ok: true } : { ms: performance.now() - t0, ok: false, reasons: n.reasons };
  }

  for (let i = 0; i < 5; i++) {
    const warm = await negotiate();
    if (!warm.ok) throw new Error(`warm-up negotiation failed: ${warm.reasons?.join('; ')}`);
  }

  console.log(`Running ${TOTAL} negotiations, ${IN_FLIGHT} in flight…`);
  const cpuBefore = cpuSeconds(hospital) + cpuSeconds(institute);
  const started = performance.now();
  const results: { ms: number; ok: boolean; reasons?: string[] }[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (issued < TOTAL) {
        issued++;
        results.push(await negotiate());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuPerNegotiation = ((cpuSeconds(hospital) + cpuSeconds(institute) - cpuBefore) / TOTAL) * 1000;

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const payload = Buffer.alloc(1500, 1);
  const signature = sign(null, payload, privateKey);
  const rawSign = await measureRate('sign', () => sign(null, payload, privateKey), { seconds: 1 });
  const rawVerify = await measureRate('verify', () => verify(null, payload, publicKey, signature), { seconds: 1 });
  const rawMs = SIGNATURES * rawSign.msPerOp + VERIFICATIONS * rawVerify.msPerOp;

  const latencies = results
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const failures = results.filter((r) => !r.ok);
  printTable(
    `${TOTAL} negotiations between two connector processes, ${IN_FLIGHT} in flight`,
    [
      ['negotiations per second', TOTAL / seconds],
      ['latency p50 (ms, start to FINALIZED at the consumer)', percentile(latencies, 50)],
      ['latency p95 (ms)', percentile(latencies, 95)],
      ['failures', failures.length],
      ['CPU per negotiation, both connectors (ms)', cpuPerNegotiation],
      [`raw Ed25519 cost of its ${SIGNATURES} signatures and ${VERIFICATIONS} verifications (ms, node:crypto, this run)`, rawMs],
      ['CPU per negotiation / raw signature cost', cpuPerNegotiation / rawMs],
    ],
    ['', 'value'],
  );
  for (const f of failures.slice(0, 3)) console.log(`failure: ${f.reasons?.join('; ')}`);
  const pass = failures.length === 0 && TOTAL / seconds >= 20;
  console.log(`\nTarget: at least 20 negotiations per second with no failure: ${pass ? 'met' : 'NOT met'}`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await Promise.all([hospital.stop(), institute.stop(), authority.close()]);
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
