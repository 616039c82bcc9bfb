import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { admitProcess, killAtShares, onboardInstituteProcess, processConnector, type Restartable } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { researchOffer } from './support.ts';

const BATCH = 100;
type Listed = { id: string; state: string; digest: string | null; receivedPath: string | null; reasons: string[] };

/** A management API as the test sees it, in-process or in a child process. */
interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}
const apiOf = (c: RunningConnector): Api => ({
  get: async (path) => jsonOf(await managementFetch(c, path)),
  post: async (path, body) => jsonOf(await managementFetch(c, path, { method: 'POST', body: JSON.stringify(body) })),
});

/** A dataset whose data folder holds 1 MiB of random bytes besides the example's file, so each pull takes a while. */
function bulkyDataset(dataRoot: string) {
  const dataset = exampleDataset({ dataRoot }, { offers: [researchOffer()] });
  writeFileSync(join(dataRoot, 'diabetes-cohort', 'measurements.bin'), randomBytes(1024 * 1024));
  return dataset;
}

async function agreementOf(consumer: Api, providerDid: string, providerUrl: string, offer: unknown): Promise<string> {
  const started = await consumer.post<{ id: string }>('/negotiations', { providerDid, providerAddress: `${providerUrl}/dsp/2025-1`, offer });
  const done = await consumer.get<{ state: string; agreementId: string; reasons: string[] }>(`/negotiations/${encodeURIComponent(started.id)}?waitFor=FINALIZED,TERMINATED`);
  expect(done.state, JSON.stringify(done.reasons)).toBe('FINALIZED');
  return done.agreementId;
}

const transfers = async (api: Api) => (await api.get<{ transfers: Listed[] }>('/transfers')).transfers;
const completed = (list: Listed[]) => list.filter((t) => t.state === 'COMPLETED').length;

/** Starts the batch, kills `victim` early, midway and late, and checks every transfer COMPLETED with the provider's digest. */
async function batchSurvives(consumer: () => Api, provider: () => Api, agreementId: string, victim: Restartable) {
  await Promise.all(Array.from({ length: BATCH }, () => consumer().post('/transfers', { agreementId, format: 'HttpData-PULL' })));
  await killAtShares(victim, async () => completed(await transfers(consumer())), BATCH);
  const done = await until(
    'all transfers settled',
    () => transfers(consumer()),
    (l) => l.length >= BATCH && l.every((t) => t.state === 'COMPLETED' || t.state === 'TERMINATED'),
    {
      timeoutMs: 120_000,
      pollMs: 200,
      show: (l) => JSON.stringify(Object.groupBy(l, (t) => t.state)),
    },
  );
  expect(done.filter((t) => t.state !== 'COMPLETED').map((t) => t.reasons)).toEqual([]);
  const served = await until(
    'provider settled',
    () => transfers(provider()),
    (l) => l.length >= BATCH && l.every((t) => t.state === 'COMPLETED'),
    { timeoutMs: 30_000, pollMs: 200 },
  );
  expect(served).toHaveLength(BATCH);
  const digests = new Set(served.map((t) => t.digest));
  expect(digests.size).toBe(1);
  for (const t of done) expect(createHash('sha256').update(readFileSync(t.receivedPath!)).digest('base64')).toBe([...digests][0]);
}

describe(`${BATCH} pulls in flight survive repeated kill -9`, () => {
  it('of the provider: every transfer completes with the right digest', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const spec = await processConnector('hospital', authority);
    const hospital: Restartable = { current: await spec.start(), start: spec.start };
    const institute = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    try {
      const dataset = bulkyDataset(spec.dataRoot);
      const added = await hospital.current.api.post<{ id: string }>('/datasets', dataset);
      await admitProcess(authority, hospital.current, 'hospital');
      await admit(authority, institute, 'research-institute');
      await grantPermit(authority, institute);
      await collectCredentials(institute, authority);
      const agreementId = await agreementOf(apiOf(institute), hospital.current.did, hospital.current.url, { ...dataset.offers[0], target: added.id });
      await batchSurvives(
        () => apiOf(institute),
        () => hospital.current.api,
        agreementId,
        hospital,
      );
    } finally {
      await hospital.current.stop();
    }
  }, 300_000);

  it('of the consumer: every transfer completes with the right digest', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const hospital = await startTestConnector({ role: 'hospital', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    const dataset = bulkyDataset(hospital.ctx.config.dataRoot);
    await registerDataset(hospital, dataset);
    const spec = await processConnector('research-institute', authority);
    const institute: Restartable = { current: await spec.start(), start: spec.start };
    try {
      await onboardInstituteProcess(authority, institute.current);
      const agreementId = await agreementOf(institute.current.api, hospital.did, hospital.url, { ...dataset.offers[0], target: dataset.id });
      await batchSurvives(
        () => institute.current.api,
        () => apiOf(hospital),
        agreementId,
        institute,
      );
    } finally {
      await institute.current.stop();
    }
  }, 300_000);
});
