import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { permitBoundResearchOffer } from '../../contracts/policy/templates.ts';
import type { MessageOffer } from '../../contracts/negotiation/messages.ts';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { until } from '../support/wait.ts';

/** Registers the example diabetes dataset with `offer` on the hospital; returns the offer as a consumer sends it. */
export async function publishOffer(hospital: RunningConnector, offer: MessageOffer, options: { requiresApproval?: boolean } = {}): Promise<MessageOffer> {
  const { target: _target, ...published } = offer;
  const dataset = exampleDataset(hospital, { offers: [published], requiresApproval: options.requiresApproval ?? false });
  await registerDataset(hospital, dataset);
  return { ...offer, target: dataset.id };
}

export function researchOffer(id = `urn:uuid:${crypto.randomUUID()}`): MessageOffer {
  return permitBoundResearchOffer({ id, purposes: ['scientific-research'], months: 12 });
}

export async function startNegotiation(consumer: RunningConnector, provider: RunningConnector, offer: MessageOffer): Promise<any> {
  const response = await managementFetch(consumer, '/negotiations', {
    method: 'POST',
    body: JSON.stringify({ providerDid: provider.did, providerAddress: `${provider.url}/dsp/2025-1`, offer }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return jsonOf(response);
}

/** Polls a negotiation until it reaches one of `states` (or fails the test after `timeoutMs`). */
export function waitForState(connector: RunningConnector, id: string, states: string[], timeoutMs = 15_000): Promise<any> {
  return until(
    `negotiation ${id} on ${connector.ctx.config.name}, expected ${states.join('/')}`,
    async () => jsonOf(await managementFetch(connector, `/negotiations/${encodeURIComponent(id)}`)),
    (n: any) => states.includes(n.state),
    { timeoutMs, pollMs: 50, show: (n: any) => `${n.state} (${JSON.stringify(n.reasons)})` },
  );
}

/** The providerPid of a negotiation, once the consumer has learnt it from the provider's answer. */
export async function providerPidKnownTo(consumer: RunningConnector, consumerId: string): Promise<string> {
  const n = await until(
    `the providerPid of ${consumerId}`,
    async () => jsonOf(await managementFetch(consumer, `/negotiations/${encodeURIComponent(consumerId)}`)),
    (n: any) => !!n.providerPid,
    { timeoutMs: 5_000, pollMs: 30 },
  );
  return n.providerPid;
}

/** The provider's side of a negotiation the consumer started, once `ready` holds for it. */
export function providerNegotiation(provider: RunningConnector, consumerPid: string, ready: (n: any) => boolean = () => true): Promise<any> {
  return until(
    `the provider's negotiation for ${consumerPid}`,
    async () => (await jsonOf(await managementFetch(provider, '/negotiations?role=provider'))).negotiations.find((n: any) => n.consumerPid === consumerPid),
    (n: any) => !!n && ready(n),
    { timeoutMs: 5_000, pollMs: 30 },
  );
}
