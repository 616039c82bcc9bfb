import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { agreeAsProvider, CN_C_SCENARIOS } from '../../scripts/tck/replay/negotiation-consumer.ts';
import { CN_SCENARIOS, negotiateAgreement } from '../../scripts/tck/replay/negotiation-provider.ts';
import { runReplay, type ReplayResult } from '../../scripts/tck/replay/runner.ts';
import { CAT_SCENARIOS, MET_SCENARIOS } from '../../scripts/tck/replay/catalog.ts';
import { TP_SCENARIOS } from '../../scripts/tck/replay/transfer-provider.ts';
import { TP_C_SCENARIOS } from '../../scripts/tck/replay/transfer-consumer.ts';
import type { ScenarioContext } from '../../scripts/tck/replay/scenario.ts';
import { CONSUMER_NEGOTIATIONS, CONSUMER_TRANSFERS, PROVIDER_NEGOTIATIONS, PROVIDER_TRANSFERS } from '../../scripts/tck/script.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startOperator } from './operator.ts';
import { keyOf, outcome, PEER_DATA, peerAuthorization, peerDataAddress, peerIdentityForward, scenarioDataset, settingsFor, startPeerDataspace, withData } from './standard-peer.ts';

/**
 * All 65 TCK scenarios, played by an authenticated standard DSP peer against normally configured connectors
 * whose operators use the product's own review controls through the management API (test/tck/operator.ts):
 * a hospital whose data steward signs off every decision on datasets that require approval
 * (reviewNegotiationSteps) and every release (reviewTransfers), an institute that reviews agreements
 * (reviewAgreements), and one that pulls only when told (pullOnStart off). No fixture, no hook: what the
 * fixture scripts in-process, the operators do here by hand.
 */
const ids = (scenarios: { id: string }[]) => scenarios.map((s) => s.id);
const groups = (result: ReplayResult) =>
  Object.fromEntries(['MET', 'CAT', 'CN', 'CN_C', 'TP', 'TP_C'].map((g) => [g, result.passed.filter((id) => id.startsWith(`${g}:`)).length]).filter(([, n]) => n));

const offerFor = (datasetId: string, offerId: string) => ({ '@type': 'Offer', '@id': offerId, target: datasetId, permission: [{ action: 'use' }] });

describe('all 65 TCK scenarios: a standard peer against normally configured connectors and their operators', () => {
  let peer: RunningConnector;
  let port: number;
  let trustedIssuers: { did: string; credentialTypes: string[] }[];
  beforeAll(async () => {
    ({ peer, port, trustedIssuers } = await startPeerDataspace());
  }, 60_000);

  const replay = (cut: RunningConnector, settings: ReturnType<typeof settingsFor>, only: string[], extra: Parameters<typeof runReplay>[1] = {}) =>
    runReplay(settings, {
      only,
      print: () => undefined,
      strict: true,
      authorize: peerAuthorization(peer, [cut]),
      forward: peerIdentityForward(peer),
      participantId: peer.did,
      ...extra,
    });

  /** The institute's operator starts what the TCK's triggers would (its management API). */
  const triggerAt = (institute: RunningConnector) => async (kind: 'negotiation' | 'transfer', body: Record<string, string>) =>
    jsonOf(
      kind === 'transfer'
        ? await managementFetch(institute, '/transfers', { method: 'POST', body: JSON.stringify({ agreementId: body.agreementId, format: body.format }) })
        : await managementFetch(institute, '/negotiations', {
            method: 'POST',
            body: JSON.stringify({ providerDid: peer.did, providerAddress: body.connectorAddress, offer: { ...offerFor(body.datasetId!, body.offerId!), assigner: peer.did } }),
          }),
    );

  it('the hospital (MET, CAT, CN, TP): a data steward reviews each negotiation step and each release', { timeout: 90_000 }, async () => {
    const hospital = await startTestConnector({ role: 'hospital', name: 'test-hospital-steward', trustedIssuers, reviewNegotiationSteps: true, reviewTransfers: true });
    const dataset = (name: string, requiresApproval = false) => scenarioDataset(hospital, name, requiresApproval);
    const tests: Record<string, Record<string, string>> = {
      CAT_01_01: await dataset('CAT0101'),
      CAT_01_02: await dataset('CAT0102'),
      CAT_01_03: { DATASETID: 'urn:tck:CAT0103-absent' },
    };
    const provider = new Map<string, (typeof PROVIDER_NEGOTIATIONS)[string]>();
    for (const s of CN_SCENARIOS) {
      tests[s.key] = await dataset(s.key, true);
      provider.set(tests[s.key]!.DATASETID!, PROVIDER_NEGOTIATIONS[s.key]!);
    }
    const plain = await dataset('TP');
    const settings = settingsFor(hospital, port, tests);
    const transfers = new Map<string, (typeof PROVIDER_TRANSFERS)[string]>();
    const operator = startOperator(hospital, { provider, transfers, offerFor });
    const only = [...ids(MET_SCENARIOS), ...ids(CAT_SCENARIOS), ...ids(CN_SCENARIOS), ...ids(TP_SCENARIOS)];
    const result = await replay(hospital, settings, only, {
      // The TP scenarios name agreements: the peer negotiates one for each first, over DSP (a dataset without approval).
      async prepare(ctx: ScenarioContext) {
        for (const s of TP_SCENARIOS) {
          const agreementId = await negotiateAgreement(ctx, plain.DATASETID, plain.OFFERID);
          settings.tests.set(s.key, { AGREEMENTID: agreementId, FORMAT: 'HttpData-PULL' });
          transfers.set(agreementId, PROVIDER_TRANSFERS[s.key]!);
        }
      },
    }).finally(() => operator.stop());
    expect(outcome(result)).toEqual({ passed: only.length, failed: [] });
    expect(groups(result)).toEqual({ MET: 1, CAT: 3, CN: 15, TP: 15 });
    // The steward's sign-offs are on the audit trail: the releases it approved, the later negotiation steps it agreed to or finalized.
    const audit = async (type: string) => (await jsonOf(await managementFetch(hospital, `/audit?type=${type}&limit=500`))).entries as { details: { step?: string } }[];
    expect((await audit('transfer.approved')).length).toBe(Object.values(PROVIDER_TRANSFERS).filter((t) => t.requested === 'start').length - 1); // TP:02-04 is disabled
    expect((await audit('negotiation.approved')).some((e) => e.details.step === 'finalize')).toBe(true);
  });

  it('the institute (CN_C): its operator accepts, counters, verifies or terminates; agreements wait for review', { timeout: 60_000 }, async () => {
    const institute = await startTestConnector({ role: 'research-institute', name: 'test-institute-review', trustedIssuers, reviewAgreements: true });
    const only = ids(CN_C_SCENARIOS);
    const tests = Object.fromEntries(only.map((id) => [keyOf(id), { DATASETID: `urn:tck:review-${id.replace(':', '-')}` }]));
    const consumer = new Map(Object.entries(tests).map(([key, t]) => [t.DATASETID, CONSUMER_NEGOTIATIONS[key]!]));
    const operator = startOperator(institute, { consumer, offerFor: (datasetId, offerId) => ({ ...offerFor(datasetId, offerId), assigner: peer.did }) });
    const result = await replay(institute, settingsFor(institute, port, tests), only, { trigger: triggerAt(institute) }).finally(() => operator.stop());
    expect(outcome(result)).toEqual({ passed: only.length, failed: [] });
    expect(groups(result)).toEqual({ CN_C: 16 });
  });

  it('the institute (TP_C): it pulls only when told, from a peer whose data plane sends no Repr-Digest', { timeout: 60_000 }, async () => {
    const institute = await startTestConnector({ role: 'research-institute', name: 'test-institute-pull', trustedIssuers, pullOnStart: false });
    const settings = settingsFor(institute, port, {});
    const consumerTransfers = new Map<string, (typeof CONSUMER_TRANSFERS)[string]>();
    const operator = startOperator(institute, { consumerTransfers, offerFor });
    const only = ids(TP_C_SCENARIOS);
    const result = await replay(institute, settings, only, {
      forward: withData(peerIdentityForward(peer), false),
      dataAddress: peerDataAddress(port),
      trigger: triggerAt(institute),
      async prepare(ctx: ScenarioContext) {
        for (const s of TP_C_SCENARIOS) {
          const agreementId = await agreeAsProvider(ctx, `urn:tck:data-${s.key}`);
          settings.tests.set(s.key, { AGREEMENTID: agreementId, FORMAT: 'HttpData-PULL' });
          if (CONSUMER_TRANSFERS[s.key]) consumerTransfers.set(agreementId, CONSUMER_TRANSFERS[s.key]!);
        }
      },
    }).finally(() => operator.stop());
    expect(outcome(result)).toEqual({ passed: only.length, failed: [] });
    expect(groups(result)).toEqual({ TP_C: 15 });
    // TP_C:02-02: the operator's pull brought the bytes; the digest was computed here, and says so.
    const completed = (await jsonOf(await managementFetch(institute, '/transfers?state=COMPLETED'))).transfers as any[];
    expect(completed.filter((t) => t.size !== null)).toMatchObject([{ size: PEER_DATA.length, digestVerified: false }]);
  });
});
