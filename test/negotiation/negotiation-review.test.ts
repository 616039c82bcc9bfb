import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { providerNegotiation, publishOffer, researchOffer, startNegotiation, waitForState } from './support.ts';

/**
 * reviewNegotiationSteps: on a dataset that requires approval the hospital's operator decides at every
 * step, not only on the request: after the consumer accepted a counter-offer (agree or reject) and after it
 * verified the agreement (finalize or reject). Datasets without approval still run through at once.
 */
describe('the provider reviews every negotiation step of datasets that require approval', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio({ hospital: { reviewNegotiationSteps: true } });
    await onboard(trio);
  });

  const post = (id: string, action: string, body?: unknown) =>
    managementFetch(trio.hospital, `/negotiations/${encodeURIComponent(id)}/${action}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });
  const audit = async (type: string, id: string) =>
    (await jsonOf(await managementFetch(trio.hospital, `/audit?type=${type}&subject=${encodeURIComponent(id)}`))).entries.map((e: any) => e.details.step ?? 'request');

  it('approves the request, holds the verified agreement until the operator finalizes it', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const requested = await providerNegotiation(trio.hospital, started.id, (n) => n.pending === 'approval');
    expect((await post(requested.id, 'approve')).status).toBe(200);
    const verified = await providerNegotiation(trio.hospital, started.id, (n) => n.state === 'VERIFIED');
    expect(verified.pending).toBe('approval');
    expect((await waitForState(trio.institute, started.id, ['VERIFIED'])).state).toBe('VERIFIED');
    expect((await jsonOf(await post(requested.id, 'approve'))).state).toBe('FINALIZED');
    expect((await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED'])).state).toBe('FINALIZED');
    expect(await audit('negotiation.approved', requested.id)).toEqual(['request', 'finalize']);
    // Nothing is held any more.
    expect((await post(requested.id, 'approve')).status).toBe(409);
  });

  it('holds an accepted counter-offer; rejecting it terminates, and the consumer learns why', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const requested = await providerNegotiation(trio.hospital, started.id, (n) => n.pending === 'approval');
    await post(requested.id, 'counter', { offer: { ...offer, '@id': `${offer['@id']}:counter` } });
    await waitForState(trio.institute, started.id, ['OFFERED']);
    await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(started.id)}/accept`, { method: 'POST' });
    const accepted = await providerNegotiation(trio.hospital, started.id, (n) => n.state === 'ACCEPTED');
    expect(accepted.pending).toBe('approval');
    const rejected = await post(requested.id, 'reject', { reason: 'the steward withdrew the offer' });
    expect((await jsonOf(rejected)).state).toBe('TERMINATED');
    const ended = await waitForState(trio.institute, started.id, ['TERMINATED']);
    expect(ended.reasons).toEqual(expect.arrayContaining(['the steward withdrew the offer']));
    expect(await audit('negotiation.rejected', requested.id)).toEqual(['agree']);
  });

  it('a dataset without approval still agrees and finalizes at once', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer());
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    expect((await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED'])).state).toBe('FINALIZED');
  });
});
