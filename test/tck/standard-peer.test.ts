import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { Forward } from '../../scripts/tck/replay/callbacks.ts';
import { agreeAsProvider } from '../../scripts/tck/replay/negotiation-consumer.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { tckSettings, type TckSettings } from '../../scripts/tck/settings.ts';
import { runReplay, type ReplayResult } from '../../scripts/tck/replay/runner.ts';
import { negotiateAgreement } from '../../scripts/tck/replay/negotiation-provider.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { admit, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { jsonOf } from '../support/http.ts';
import { peerAuthorization, peerIdentityForward, serveIdentity } from './standard-peer.ts';
import { startOperator } from './operator.ts';
import { CN_C_SCENARIOS } from '../../scripts/tck/replay/negotiation-consumer.ts';
import { CONSUMER_NEGOTIATIONS, PROVIDER_NEGOTIATIONS, PROVIDER_TRANSFERS } from '../../scripts/tck/script.ts';

/**
 * The TCK's scenarios played by a standard DSP peer (no extension of ours: plain agreements, its own did:web
 * key and DCP credentials) against a normally configured hospital (provider scenarios) and research institute
 * (consumer scenarios). Only scenarios whose expected reactions are a normal connector's own behaviour apply:
 * the others need a fixture's scripted reactions (offers, holds, provider- or consumer-side terminations).
 */
const HOSPITAL_SCENARIOS = [
  'MET:01-01',
  'CAT:01-01',
  'CAT:01-02',
  'CAT:01-03',
  'CN:01-04',
  'CN:02-03',
  'CN:03-01',
  'TP:02-01',
  'TP:02-02',
  'TP:02-03',
  'TP:03-03',
  'TP:03-04',
  'TP:03-05',
  'TP:03-06',
];
const INSTITUTE_SCENARIOS = ['CN_C:01-04', 'CN_C:02-01', 'CN_C:02-04', 'CN_C:02-06', 'CN_C:03-01', 'CN_C:03-02', 'CN_C:03-03'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function settingsFor(cut: RunningConnector, callbackPort: number, tests: Record<string, Record<string, string>>): TckSettings {
  return tckSettings(
    new Map([
      ['dataspacetck.dsp.connector.agent.id', cut.did],
      ['dataspacetck.dsp.connector.http.url', `${cut.url}/dsp/2025-1`],
      ['dataspacetck.dsp.connector.http.base.url', cut.url],
      ['dataspacetck.dsp.connector.negotiation.initiate.url', `${cut.url}/api/negotiations`],
      ['dataspacetck.dsp.connector.transfer.initiate.url', `${cut.url}/api/transfers`],
      ['dataspacetck.callback.address', `http://127.0.0.1:${callbackPort}`],
      ['dataspacetck.dsp.default.wait', '10'],
      ...Object.entries(tests).flatMap(([key, ids]) => Object.entries(ids).map(([field, value]) => [`${key}_${field}`, value] as [string, string])),
    ]),
  );
}

/** With an operator at each connector doing what the scenario expects (management API), on datasets that need approval and an institute that reviews agreements. */
const OPERATED_HOSPITAL = [
  'CN:01-01',
  'CN:01-02',
  'CN:01-03',
  'CN:02-01',
  'CN:02-02',
  'CN:02-04',
  'CN:02-05',
  'CN:03-02',
  'CN:03-04',
  'TP:01-01',
  'TP:01-02',
  'TP:01-03',
  'TP:01-04',
];
const OPERATED_INSTITUTE = CN_C_SCENARIOS.map((s) => s.id);

/** A normal consumer pulls at once: the scenarios without a start, and the one where it completes after its pull. */
const INSTITUTE_TRANSFERS = ['TP_C:01-05', 'TP_C:02-02', 'TP_C:03-01', 'TP_C:03-02'];
const DATA = Buffer.from('plain data from a standard DSP peer\n');

/** The peer's data endpoint (an RFC 9530 Repr-Digest with the bytes), beside its identity. */
const withData =
  (forward: Forward): Forward =>
  async (req, res, body) => {
    if (!(req.url ?? '').startsWith('/tck-data')) return forward(req, res, body);
    const digest = createHash('sha256').update(DATA).digest('base64');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': DATA.length, 'repr-digest': `sha-256=:${digest}:` }).end(DATA);
  };

const only = (result: ReplayResult) => ({ passed: result.passed.length, failed: result.failed });

describe('TCK scenarios with a standard peer against normally configured connectors', () => {
  let trio: Trio;
  let peer: RunningConnector;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    trio = await startTrio();
    const trustedIssuers = [{ did: trio.authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
    peer = await startTestConnector({ role: 'research-institute', name: 'standard-peer', publicUrl: `http://127.0.0.1:${port}`, trustedIssuers });
    const identity = await serveIdentity(peerIdentityForward(peer), port);
    try {
      await onboard(trio);
      await admit(trio.authority, peer, 'research-institute');
      await grantPermit(trio.authority, peer);
      const collected = await fetch(`http://127.0.0.1:${peer.port}/api/wallet/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${peer.ctx.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ authorityDid: trio.authority.did }),
      });
      expect(collected.status, await collected.clone().text()).toBe(200);
    } finally {
      identity.closeAllConnections();
      await new Promise((resolve) => identity.close(resolve));
    }
  }, 60_000);

  it('the hospital (provider): catalog, negotiations and transfers the peer drives', { timeout: 120_000 }, async () => {
    const { hospital } = trio;
    const dataset = async (name: string) => {
      const d = exampleDataset(hospital, { offers: [{ '@type': 'Offer', '@id': `urn:tck:${name}:offer`, permission: [{ action: 'use' }] }] });
      await registerDataset(hospital, d);
      return { DATASETID: d.id as string, OFFERID: `urn:tck:${name}:offer` };
    };
    const tests: Record<string, Record<string, string>> = {
      CAT_01_01: await dataset('CAT0101'),
      CAT_01_02: await dataset('CAT0102'),
      CAT_01_03: { DATASETID: 'urn:tck:CAT0103-absent' },
      CN_01_04: await dataset('ACN0104'),
      CN_02_03: await dataset('ACN0203'),
      CN_03_01: await dataset('ACN0301'),
    };
    const transfers = await dataset('ATP');
    const settings = settingsFor(hospital, port, tests);
    const result = await runReplay(settings, {
      only: HOSPITAL_SCENARIOS,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [hospital]),
      forward: peerIdentityForward(peer),
      participantId: peer.did,
      // The TP scenarios name agreements: the peer negotiates one for each first, over DSP.
      async prepare(ctx) {
        for (const key of ['TP_02_01', 'TP_02_02', 'TP_02_03', 'TP_03_03', 'TP_03_04', 'TP_03_05', 'TP_03_06'])
          settings.tests.set(key, { AGREEMENTID: await negotiateAgreement(ctx, transfers.DATASETID, transfers.OFFERID), FORMAT: 'HttpData-PULL' });
      },
    });
    expect(only(result)).toEqual({ passed: HOSPITAL_SCENARIOS.length, failed: [] });
  });

  it('the institute (consumer): negotiations the peer answers as provider', { timeout: 120_000 }, async () => {
    const { institute } = trio;
    const tests = Object.fromEntries(INSTITUTE_SCENARIOS.map((id) => [id.replace(':', '_').replace('-', '_'), { DATASETID: `urn:tck:${id.replace(':', '-')}` }]));
    const settings = settingsFor(institute, port, tests);
    const result = await runReplay(settings, {
      only: INSTITUTE_SCENARIOS,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [institute]),
      forward: peerIdentityForward(peer),
      participantId: peer.did,
      // The institute's operator starts the negotiation (its management API), where the TCK calls a trigger.
      async trigger(kind, body) {
        const offer = { '@type': 'Offer', '@id': body.offerId, target: body.datasetId, assigner: peer.did, permission: [{ action: 'use' }] };
        const response = await managementFetch(institute, '/negotiations', {
          method: 'POST',
          body: JSON.stringify({ providerDid: peer.did, providerAddress: body.connectorAddress, offer }),
        });
        expect(response.status, `${kind}: ${await response.clone().text()}`).toBeLessThan(300);
        return jsonOf(response);
      },
    });
    expect(only(result)).toEqual({ passed: INSTITUTE_SCENARIOS.length, failed: [] });
  });

  it('the institute (consumer): transfers from the peer, which serves plain HTTP data', { timeout: 120_000 }, async () => {
    const { institute } = trio;
    const settings = settingsFor(institute, port, {});
    const result = await runReplay(settings, {
      only: INSTITUTE_TRANSFERS,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [institute]),
      forward: withData(peerIdentityForward(peer)),
      participantId: peer.did,
      dataAddress: {
        '@type': 'DataAddress',
        endpointType: 'https://w3id.org/idsa/v4.1/HTTP',
        endpoint: `http://127.0.0.1:${port}/tck-data/cohort.txt`,
        endpointProperties: [{ '@type': 'EndpointProperty', name: 'authorization', value: 'peer-token' }],
      },
      async prepare(ctx) {
        for (const id of INSTITUTE_TRANSFERS) {
          const key = id.replace(':', '_').replace('-', '_');
          settings.tests.set(key, { AGREEMENTID: await agreeAsProvider(ctx, `urn:tck:data-${key}`), FORMAT: 'HttpData-PULL' });
        }
      },
      async trigger(kind, body) {
        if (kind !== 'negotiation')
          return jsonOf(await managementFetch(institute, '/transfers', { method: 'POST', body: JSON.stringify({ agreementId: body.agreementId, format: body.format }) }));
        const offer = { '@type': 'Offer', '@id': body.offerId, target: body.datasetId, assigner: peer.did, permission: [{ action: 'use' }] };
        return jsonOf(
          await managementFetch(institute, '/negotiations', { method: 'POST', body: JSON.stringify({ providerDid: peer.did, providerAddress: body.connectorAddress, offer }) }),
        );
      },
    });
    expect(only(result)).toEqual({ passed: INSTITUTE_TRANSFERS.length, failed: [] });
    const received = (await jsonOf(await managementFetch(institute, '/transfers?state=COMPLETED'))).transfers.filter((t: any) => t.counterpartyDid === peer.did);
    expect(received).toHaveLength(1);
    expect(received[0].size).toBe(DATA.length);
  });

  it("the hospital takes an EDC-shaped request: EDC's and Tractus-X's contexts after DSP's", async () => {
    const { hospital } = trio;
    const d = exampleDataset(hospital, { offers: [{ '@type': 'Offer', '@id': 'urn:tck:edc:offer', permission: [{ action: 'use' }] }] });
    await registerDataset(hospital, d);
    const identity = await serveIdentity(peerIdentityForward(peer), port);
    try {
      const url = `${hospital.url}/dsp/2025-1/negotiations/request`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: (await peerAuthorization(peer, [hospital])(url))! },
        body: JSON.stringify({
          '@context': [
            'https://w3id.org/dspace/2025/1/context.jsonld',
            'https://w3id.org/edc/dspace/v0.0.1',
            'https://w3id.org/tractusx/auth/v1.0.0',
            { 'fx-policy': 'https://w3id.org/factoryx/policy/v1.0/' },
          ],
          '@type': 'ContractRequestMessage',
          '@id': `urn:uuid:${crypto.randomUUID()}`,
          consumerPid: `urn:uuid:${crypto.randomUUID()}`,
          callbackAddress: `http://127.0.0.1:${port}/`,
          offer: {
            '@type': 'odrl:Offer',
            '@id': 'urn:tck:edc:offer',
            'odrl:target': { '@id': d.id },
            'odrl:assigner': { '@id': hospital.did },
            'odrl:permission': { 'odrl:action': { '@id': 'odrl:use' } },
          },
        }),
      });
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(201);
      expect(body).toMatchObject({ '@type': 'ContractNegotiation', state: 'REQUESTED' });
    } finally {
      identity.closeAllConnections();
      await new Promise((resolve) => identity.close(resolve));
    }
  });

  it('both, with an operator doing what each scenario expects', { timeout: 150_000 }, async () => {
    const { hospital } = trio;
    const trustedIssuers = [{ did: trio.authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
    const reviewing = await startTestConnector({ role: 'research-institute', name: 'test-institute-review', trustedIssuers, reviewAgreements: true });
    const tests: Record<string, Record<string, string>> = {};
    const provider = new Map<string, (typeof PROVIDER_NEGOTIATIONS)[string]>();
    for (const id of OPERATED_HOSPITAL.filter((id) => id.startsWith('CN:'))) {
      const key = `CN_${id.slice(3).replace('-', '_')}`;
      const d = exampleDataset(hospital, { offers: [{ '@type': 'Offer', '@id': `urn:tck:${key}:offer`, permission: [{ action: 'use' }] }], requiresApproval: true });
      await registerDataset(hospital, d);
      tests[key] = { DATASETID: d.id, OFFERID: `urn:tck:${key}:offer` };
      provider.set(d.id, PROVIDER_NEGOTIATIONS[key]!);
    }
    const plain = exampleDataset(hospital, { offers: [{ '@type': 'Offer', '@id': 'urn:tck:TP:offer', permission: [{ action: 'use' }] }] });
    await registerDataset(hospital, plain);
    const settings = settingsFor(hospital, port, tests);
    const transfers = new Map<string, (typeof PROVIDER_TRANSFERS)[string]>();
    const offerFor = (datasetId: string, offerId: string) => ({ '@type': 'Offer', '@id': offerId, target: datasetId, permission: [{ action: 'use' }] });
    const atHospital = startOperator(hospital, { provider, transfers, offerFor });
    const hospitalResult = await runReplay(settings, {
      only: OPERATED_HOSPITAL,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [hospital]),
      forward: peerIdentityForward(peer),
      participantId: peer.did,
      async prepare(ctx) {
        for (const key of ['TP_01_01', 'TP_01_02', 'TP_01_03', 'TP_01_04']) {
          const agreementId = await negotiateAgreement(ctx, plain.id, 'urn:tck:TP:offer');
          settings.tests.set(key, { AGREEMENTID: agreementId, FORMAT: 'HttpData-PULL' });
          transfers.set(agreementId, PROVIDER_TRANSFERS[key]!);
        }
      },
    });
    await atHospital.stop();
    expect(only(hospitalResult)).toEqual({ passed: OPERATED_HOSPITAL.length, failed: [] });

    const consumerTests = Object.fromEntries(OPERATED_INSTITUTE.map((id) => [id.replace(':', '_').replace('-', '_'), { DATASETID: `urn:tck:review-${id.replace(':', '-')}` }]));
    const consumer = new Map(Object.entries(consumerTests).map(([key, ids]) => [ids.DATASETID, CONSUMER_NEGOTIATIONS[key]!]));
    const atInstitute = startOperator(reviewing, { consumer, offerFor: (datasetId, offerId) => ({ ...offerFor(datasetId, offerId), assigner: peer.did }) });
    const instituteResult = await runReplay(settingsFor(reviewing, port, consumerTests), {
      only: OPERATED_INSTITUTE,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [reviewing]),
      forward: peerIdentityForward(peer),
      participantId: peer.did,
      async trigger(_kind, body) {
        const offer = { '@type': 'Offer', '@id': body.offerId, target: body.datasetId, assigner: peer.did, permission: [{ action: 'use' }] };
        return jsonOf(
          await managementFetch(reviewing, '/negotiations', { method: 'POST', body: JSON.stringify({ providerDid: peer.did, providerAddress: body.connectorAddress, offer }) }),
        );
      },
    });
    await atInstitute.stop();
    expect(only(instituteResult)).toEqual({ passed: OPERATED_INSTITUTE.length, failed: [] });
  });
});
