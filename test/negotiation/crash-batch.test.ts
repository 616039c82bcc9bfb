import { describe, expect, it } from 'vitest';
import type { ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { admitProcess, killAtShares, onboardInstituteProcess, processConnector } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { researchOffer } from './support.ts';

const BATCH = 100;
type Listed = { id: string; state: string; consumerPid: string | null; providerPid: string | null; reasons: string[] };

/** Any connector's negotiations through its management API, in-process or as a child process. */
type Side = { list(): Promise<Listed[]> };
const inProcess = (c: RunningConnector): Side => ({ list: async () => (await jsonOf(await managementFetch(c, '/negotiations'))).negotiations });
const asProcess = (get: () => ConnectorProcess): Side => ({ list: async () => (await get().api.get<{ negotiations: Listed[] }>('/negotiations')).negotiations });

const finalized = (list: Listed[]) => list.filter((n) => n.state === 'FINALIZED').length;
const settled = (list: Listed[]) => list.length >= BATCH && list.every((n) => n.state === 'FINALIZED' || n.state === 'TERMINATED');

/** All negotiations FINALIZED on both sides, once each: no TERMINATED, no duplicates, pids matching. */
async function expectAllFinalized(consumer: Side, provider: Side) {
  const done = await until('consumer settled', () => consumer.list(), settled, { timeoutMs: 90_000, pollMs: 100, show: (l) => JSON.stringify(Object.groupBy(l, (n) => n.state)) });
  const providerList = await until('provider settled', () => provider.list(), settled, { timeoutMs: 30_000, pollMs: 100 });
  const terminated = [...done, ...providerList].filter((n) => n.state !== 'FINALIZED');
  expect(terminated.map((n) => n.reasons)).toEqual([]);
  expect(done).toHaveLength(BATCH);
  expect(providerList).toHaveLength(BATCH);
  expect(new Set(providerList.map((n) => n.consumerPid)).size).toBe(BATCH);
  expect(new Set(done.map((n) => n.providerPid))).toEqual(new Set(providerList.map((n) => n.providerPid)));
}

describe(`${BATCH} concurrent negotiations survive repeated kill -9`, () => {
  it('of the provider: killed early, midway and late, restarted each time, all end FINALIZED on both sides', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const spec = await processConnector('hospital', authority);
    const hospital = { current: await spec.start(), start: spec.start };
    const institute = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    try {
      const offer = researchOffer();
      const added = await hospital.current.api.post<{ id: string }>('/datasets', exampleDataset({ dataRoot: spec.dataRoot }, { offers: [offer] }));
      await admitProcess(authority, hospital.current, 'hospital');
      await admit(authority, institute, 'research-institute');
      await grantPermit(authority, institute);
      await collectCredentials(institute, authority);
      const body = JSON.stringify({ providerDid: hospital.current.did, providerAddress: `${hospital.current.url}/dsp/2025-1`, offer: { ...offer, target: added.id } });
      await Promise.all(Array.from({ length: BATCH }, () => managementFetch(institute, '/negotiations', { method: 'POST', body })));
      const consumer = inProcess(institute);
      const seenAt = await killAtShares(hospital, async () => finalized(await consumer.list()), BATCH);
      await expectAllFinalized(
        inProcess(institute),
        asProcess(() => hospital.current),
      );
      expect(seenAt[0]).toBeLessThan(BATCH);
    } finally {
      await hospital.current.stop();
    }
  }, 240_000);

  it('of the consumer: killed early, midway and late, restarted each time, all end FINALIZED on both sides', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const hospital = await startTestConnector({ role: 'hospital', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    const offer = researchOffer();
    const dataset = exampleDataset(hospital, { offers: [offer] });
    await registerDataset(hospital, dataset);
    const spec = await processConnector('research-institute', authority);
    const institute = { current: await spec.start(), start: spec.start };
    try {
      await onboardInstituteProcess(authority, institute.current);
      const request = { providerDid: hospital.did, providerAddress: `${hospital.url}/dsp/2025-1`, offer: { ...offer, target: dataset.id } };
      await Promise.all(Array.from({ length: BATCH }, () => institute.current.api.post('/negotiations', request)));
      const consumer = asProcess(() => institute.current);
      await killAtShares(institute, async () => finalized(await consumer.list()), BATCH);
      await expectAllFinalized(
        asProcess(() => institute.current),
        inProcess(hospital),
      );
    } finally {
      await institute.current.stop();
    }
  }, 240_000);
});
