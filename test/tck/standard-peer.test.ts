import { beforeAll, describe, expect, it } from 'vitest';
import { agreeAsProvider } from '../../scripts/tck/replay/negotiation-consumer.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { runReplay } from '../../scripts/tck/replay/runner.ts';
import { negotiateAgreement } from '../../scripts/tck/replay/negotiation-provider.ts';
import { managementFetch } from '../support/connectors.ts';
import type { Trio } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { jsonOf } from '../support/http.ts';
import {
  keyOf,
  outcome,
  PEER_DATA,
  peerAuthorization,
  peerDataAddress,
  peerIdentityForward,
  scenarioDataset,
  serveIdentity,
  settingsFor,
  startPeerDataspace,
  withData,
} from './standard-peer.ts';

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

/** A normal consumer pulls at once: the scenarios without a start, and the one where it completes after its pull. */
const INSTITUTE_TRANSFERS = ['TP_C:01-05', 'TP_C:02-02', 'TP_C:03-01', 'TP_C:03-02'];

describe('TCK scenarios with a standard peer against normally configured connectors', () => {
  let trio: Trio;
  let peer: RunningConnector;
  let port: number;
  beforeAll(async () => {
    ({ trio, peer, port } = await startPeerDataspace());
  }, 60_000);

  it('the hospital (provider): catalog, negotiations and transfers the peer drives', { timeout: 120_000 }, async () => {
    const { hospital } = trio;
    const dataset = (name: string) => scenarioDataset(hospital, name);
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
    expect(outcome(result)).toEqual({ passed: HOSPITAL_SCENARIOS.length, failed: [] });
  });

  it('the institute (consumer): negotiations the peer answers as provider', { timeout: 120_000 }, async () => {
    const { institute } = trio;
    const tests = Object.fromEntries(INSTITUTE_SCENARIOS.map((id) => [keyOf(id), { DATASETID: `urn:tck:${id.replace(':', '-')}` }]));
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
    expect(outcome(result)).toEqual({ passed: INSTITUTE_SCENARIOS.length, failed: [] });
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
      dataAddress: peerDataAddress(port),
      async prepare(ctx) {
        for (const id of INSTITUTE_TRANSFERS) {
          const key = keyOf(id);
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
    expect(outcome(result)).toEqual({ passed: INSTITUTE_TRANSFERS.length, failed: [] });
    const received = (await jsonOf(await managementFetch(institute, '/transfers?state=COMPLETED'))).transfers.filter((t: any) => t.counterpartyDid === peer.did);
    expect(received).toHaveLength(1);
    expect(received[0].size).toBe(PEER_DATA.length);
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
});
