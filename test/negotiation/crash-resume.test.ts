import { describe, expect, it } from 'vitest';
import { admitProcess, killHard, onboardInstituteProcess, processConnector } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { researchOffer } from './support.ts';

describe('a negotiation survives kill -9 of either side', () => {
  it('the consumer is killed right after starting; after restart its outbox sends the request and it completes', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const hospital = await startTestConnector({ role: 'hospital', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    const dataset = exampleDataset(hospital, { offers: [researchOffer()] });
    await registerDataset(hospital, dataset);
    const spec = await processConnector('research-institute', authority);
    let institute = await spec.start();
    try {
      await onboardInstituteProcess(authority, institute);
      const started = await institute.api.post<{ id: string }>('/negotiations', {
        providerDid: hospital.did,
        providerAddress: `${hospital.url}/dsp/2025-1`,
        offer: { ...dataset.offers[0], target: dataset.id },
      });
      await killHard(institute);
      institute = await spec.start();
      const done = await until(
        'consumer negotiation',
        () => institute.api.get<{ state: string; reasons: string[] }>(`/negotiations/${encodeURIComponent(started.id)}`),
        (n) => n.state === 'FINALIZED' || n.state === 'TERMINATED',
      );
      expect(done.state, JSON.stringify(done.reasons)).toBe('FINALIZED');
    } finally {
      await institute.stop();
    }
  });

  it('the provider is killed with its agreement still unsent; after restart it sends it and the negotiation completes', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const spec = await processConnector('hospital', authority);
    let hospital = await spec.start();
    const institute = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    try {
      const offer = researchOffer();
      const dataset = exampleDataset({ dataRoot: spec.dataRoot }, { offers: [offer] });
      const added = await hospital.api.post<{ id: string }>('/datasets', dataset);
      await admitProcess(authority, hospital, 'hospital');
      await admit(authority, institute, 'research-institute');
      await grantPermit(authority, institute);
      await collectCredentials(institute, authority);
      const started = await jsonOf(
        await managementFetch(institute, '/negotiations', {
          method: 'POST',
          body: JSON.stringify({ providerDid: hospital.did, providerAddress: `${hospital.url}/dsp/2025-1`, offer: { ...offer, target: added.id } }),
        }),
      );
      await until(
        'provider pid',
        async () => jsonOf(await managementFetch(institute, `/negotiations/${encodeURIComponent(started.id)}`)),
        (n: any) => !!n.providerPid,
        { timeoutMs: 10_000 },
      );
      await killHard(hospital);
      hospital = await spec.start();
      const done = await until(
        'consumer negotiation',
        async () => jsonOf(await managementFetch(institute, `/negotiations/${encodeURIComponent(started.id)}`)),
        (n: any) => n.state === 'FINALIZED' || n.state === 'TERMINATED',
      );
      expect(done.state, JSON.stringify(done.reasons)).toBe('FINALIZED');
      const provider = await hospital.api.get<{ state: string }>(`/negotiations/${encodeURIComponent(done.providerPid)}`);
      expect(provider.state).toBe('FINALIZED');
    } finally {
      await hospital.stop();
    }
  });
});
