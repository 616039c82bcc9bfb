import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { dspSchemaErrors } from '../support/dsp-schemas.ts';
import { verifyAgreementCredential } from '../../contracts/credentials/agreement.ts';
import { createDidResolver } from '../../connector/identity/did-resolver.ts';
import { createDocumentLoader } from '../../vocab/document-loader.ts';
import { providerPidKnownTo, providerNegotiation, publishOffer, researchOffer, startNegotiation, waitForState } from './support.ts';

const SCHEMA_OF: Record<string, string> = {
  ContractRequestMessage: 'negotiation/contract-request-message-schema.json',
  ContractAgreementMessage: 'negotiation/contract-agreement-message-schema.json',
  ContractAgreementVerificationMessage: 'negotiation/contract-agreement-verification-message-schema.json',
  ContractNegotiationEventMessage: 'negotiation/contract-negotiation-event-message-schema.json',
  ContractNegotiationTerminationMessage: 'negotiation/contract-negotiation-termination-message-schema.json',
};

async function sentMessages(...connectors: Trio['hospital'][]) {
  const rows = await Promise.all(connectors.map((c) => c.ctx.database.db.selectFrom('outbox').select(['message_type', 'body']).where('kind', '=', 'negotiation').execute()));
  return rows.flat().map((r) => ({ type: r.message_type, body: JSON.parse(r.body) }));
}

describe('contract negotiation across live connectors', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio();
    await onboard(trio);
  });

  it('agrees, both sides sign, and a third party verifies the agreement offline from the two DIDs', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer());
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    expect(started).toMatchObject({ role: 'consumer', state: 'REQUESTED', datasetId: offer.target });
    const consumerSide = await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED']);
    expect(consumerSide.state, JSON.stringify(consumerSide.reasons)).toBe('FINALIZED');
    const providerSide = await waitForState(trio.hospital, consumerSide.providerPid, ['FINALIZED']);
    expect(providerSide).toMatchObject({ role: 'provider', consumerPid: started.id, counterpartyDid: trio.institute.did, agreementId: consumerSide.agreementId });

    const [held, issued] = await Promise.all([
      jsonOf(await managementFetch(trio.institute, `/agreements/${encodeURIComponent(consumerSide.agreementId)}`)),
      jsonOf(await managementFetch(trio.hospital, `/agreements/${encodeURIComponent(consumerSide.agreementId)}`)),
    ]);
    expect(held).toMatchObject({ counterSigned: true, providerDid: trio.hospital.did, consumerDid: trio.institute.did, datasetId: offer.target });
    expect(issued.counterSigned).toBe(true);
    expect(held.agreement).toMatchObject({ '@type': 'Agreement', target: offer.target, assigner: trio.hospital.did, assignee: trio.institute.did });
    expect(held.credential.proof).toHaveLength(2);

    const stranger = createDidResolver();
    const loader = createDocumentLoader({ dids: (url) => stranger.dereference(url) });
    expect(await verifyAgreementCredential(issued.credential, loader)).toMatchObject({
      verified: true,
      provider: trio.hospital.did,
      consumer: trio.institute.did,
      target: offer.target,
    });
  });

  it('sends only messages that validate against the DSP 2025-1 schemas', async () => {
    const messages = await sentMessages(trio.hospital, trio.institute);
    expect(new Set(messages.map((m) => m.type))).toEqual(
      new Set(['ContractRequestMessage', 'ContractAgreementMessage', 'ContractAgreementVerificationMessage', 'ContractNegotiationEventMessage']),
    );
    for (const m of messages) expect(dspSchemaErrors(SCHEMA_OF[m.type]!, m.body), `${m.type} ${JSON.stringify(m.body).slice(0, 1500)}`).toEqual([]);
  });

  it('puts nothing but the DSP context and DSP terms on the wire: the signed agreement travels out of band', async () => {
    const messages = await sentMessages(trio.hospital, trio.institute);
    for (const m of messages) {
      expect(m.body['@context']).toEqual(['https://w3id.org/dspace/2025/1/context.jsonld']);
      expect(Object.keys(m.body).filter((k) => k.includes(':') || k.startsWith('http'))).toEqual([]);
    }
  });

  it("serves the provider's agreement credential to the agreement's consumer only", async () => {
    const [agreement] = (await jsonOf(await managementFetch(trio.hospital, '/agreements'))).agreements;
    const url = `${trio.hospital.url}/agreements/${encodeURIComponent(agreement.id)}/credential`;
    expect((await fetch(url)).status).toBe(401);
    const asConsumer = await trio.institute.ctx.dspFetch({ url, audienceDid: trio.hospital.did, method: 'GET' });
    expect(asConsumer.status).toBe(200);
    expect(((await asConsumer.json()) as { credentialSubject: { agreementId: string } }).credentialSubject.agreementId).toBe(agreement.id);
    const asStranger = await trio.authority.ctx.dspFetch({ url, audienceDid: trio.hospital.did, method: 'GET' });
    expect(asStranger.status).toBe(404);
  });

  it('refuses an institute without a data permit, and the researcher sees why', async () => {
    const other = await startTestConnector({
      role: 'research-institute',
      name: 'permitless',
      trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }],
      statusListCacheTtlSeconds: 0,
    });
    await admit(trio.authority, other, 'research-institute');
    await collectCredentials(other, trio.authority);
    const offer = await publishOffer(trio.hospital, researchOffer());
    const started = await startNegotiation(other, trio.hospital, offer);
    const refused = await waitForState(other, started.id, ['TERMINATED', 'FINALIZED']);
    expect(refused.state).toBe('TERMINATED');
    expect(refused.reasons).toEqual(expect.arrayContaining(['a valid data permit for this dataset is required; the consumer has none']));
    const messages = await sentMessages(trio.hospital);
    const termination = messages.find((m) => m.type === 'ContractNegotiationTerminationMessage')!;
    expect(dspSchemaErrors(SCHEMA_OF[termination.type]!, termination.body)).toEqual([]);
  });

  it('refuses an offer the provider does not publish', async () => {
    const started = await startNegotiation(trio.institute, trio.hospital, { ...researchOffer('urn:uuid:never-published'), target: 'urn:uuid:some-dataset' });
    const refused = await waitForState(trio.institute, started.id, ['TERMINATED', 'FINALIZED']);
    expect(refused.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/offer urn:uuid:never-published is not offered here/)]));
  });

  it('refuses terms that differ from the published offer', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer());
    const loosened = { ...offer, permission: [{ action: 'use' }] };
    const started = await startNegotiation(trio.institute, trio.hospital, loosened as never);
    const refused = await waitForState(trio.institute, started.id, ['TERMINATED', 'FINALIZED']);
    expect(refused.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/differ from the published offer/)]));
  });

  it('waits for an operator when the dataset requires approval, then agrees', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const consumer = await waitForState(trio.institute, started.id, ['REQUESTED']);
    const provider = await providerNegotiation(trio.hospital, consumer.id, (n) => n.state === 'REQUESTED' && !!n.pending);
    expect(provider.pending).toBe('approval');
    const approved = await managementFetch(trio.hospital, `/negotiations/${encodeURIComponent(provider.id)}/approve`, { method: 'POST' });
    expect(approved.status).toBe(200);
    expect((await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED'])).state).toBe('FINALIZED');
  });

  it('either side can terminate with a reason, and the other side records it', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const providerId = await providerPidKnownTo(trio.institute, started.id);
    const terminated = await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(started.id)}/terminate`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'project cancelled' }),
    });
    expect((await jsonOf(terminated)).state).toBe('TERMINATED');
    const provider = await waitForState(trio.hospital, providerId!, ['TERMINATED']);
    expect(provider.reasons).toEqual(expect.arrayContaining(['project cancelled']));
    const again = await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(started.id)}/terminate`, { method: 'POST', body: JSON.stringify({ reason: 'twice' }) });
    expect(again.status).toBe(409);
  });

  it('counter-offers: the provider offers other terms, the consumer accepts them, the agreement carries them', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const provider = await providerNegotiation(trio.hospital, started.id, (n) => n.pending === 'approval');
    const stricter = {
      ...offer,
      '@id': `${offer['@id']}:counter`,
      permission: [{ ...offer.permission![0], constraint: [...(offer.permission![0] as any).constraint, { leftOperand: 'odrl:count', operator: 'lteq', rightOperand: '3' }] }],
    };
    const countered = await managementFetch(trio.hospital, `/negotiations/${encodeURIComponent(provider.id)}/counter`, {
      method: 'POST',
      body: JSON.stringify({ offer: stricter }),
    });
    expect((await jsonOf(countered)).state).toBe('OFFERED');
    const offered = await waitForState(trio.institute, started.id, ['OFFERED']);
    expect(offered.pending).toBe('review');
    expect((await jsonOf(await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(started.id)}/accept`, { method: 'POST' }))).state).toBe('ACCEPTED');
    const done = await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('FINALIZED');
    const agreement = await jsonOf(await managementFetch(trio.institute, `/agreements/${encodeURIComponent(done.agreementId)}`));
    expect(JSON.stringify(agreement.agreement.permission)).toContain('"leftOperand":"odrl:count"');
    const messages = await sentMessages(trio.hospital);
    const counterOffer = messages.find((m) => m.type === 'ContractOfferMessage')!;
    expect(dspSchemaErrors('negotiation/contract-offer-message-schema.json', counterOffer.body)).toEqual([]);
  });

  it('a counter-request with other terms than published is refused with its reason', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const provider = await providerNegotiation(trio.hospital, started.id, (n) => n.pending === 'approval');
    await managementFetch(trio.hospital, `/negotiations/${encodeURIComponent(provider.id)}/counter`, {
      method: 'POST',
      body: JSON.stringify({ offer: { ...offer, '@id': `${offer['@id']}:c` } }),
    });
    await waitForState(trio.institute, started.id, ['OFFERED']);
    const looser = { ...offer, '@id': `${offer['@id']}:loose`, permission: [{ action: 'use' }] };
    expect(
      (await jsonOf(await managementFetch(trio.institute, `/negotiations/${encodeURIComponent(started.id)}/counter`, { method: 'POST', body: JSON.stringify({ offer: looser }) })))
        .state,
    ).toBe('REQUESTED');
    const refused = await waitForState(trio.institute, started.id, ['TERMINATED', 'FINALIZED']);
    expect(refused.reasons.join(' ')).toMatch(/not offered here|differ from the published offer/);
  });

  it('refuses a permit for another purpose, with the reason', async () => {
    const other = await startTestConnector({
      role: 'research-institute',
      name: 'education-only',
      trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }],
      statusListCacheTtlSeconds: 0,
    });
    await admit(trio.authority, other, 'research-institute');
    await grantPermit(trio.authority, other, { purposes: ['education'] });
    await collectCredentials(other, trio.authority);
    const offer = await publishOffer(trio.hospital, researchOffer());
    const refused = await waitForState(other, (await startNegotiation(other, trio.hospital, offer)).id, ['TERMINATED', 'FINALIZED']);
    expect(refused.reasons).toEqual([`terminated by ${trio.hospital.did} (terminated)`, 'purpose must be isAnyOf ["scientific-research"]; found [education]']);
  });

  it('refuses a consumer whose participant credential was revoked', async () => {
    const other = await startTestConnector({
      role: 'research-institute',
      name: 'revoked',
      trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }],
      statusListCacheTtlSeconds: 0,
    });
    const credential = await admit(trio.authority, other, 'research-institute');
    await grantPermit(trio.authority, other);
    await collectCredentials(other, trio.authority);
    await managementFetch(trio.authority, `/credentials/${encodeURIComponent(credential.id)}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'left the dataspace' }) });
    const offer = await publishOffer(trio.hospital, researchOffer());
    const refused = await waitForState(other, (await startNegotiation(other, trio.hospital, offer)).id, ['TERMINATED', 'FINALIZED']);
    expect(refused.state).toBe('TERMINATED');
    // The consumer's own wallet no longer presents the revoked credential (and marks it); the provider's policy misses it.
    expect(refused.reasons.join(' ')).toMatch(/the consumer presented no participant credential stating its membership status/);
    expect((await other.ctx.wallet.get(credential.id))?.status).toBe('revoked');
  });

  it('a consumer set to review agreements stays AGREED until its operator verifies, then finalizes', async () => {
    const reviewing = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }], reviewAgreements: true });
    await admit(trio.authority, reviewing, 'research-institute');
    await grantPermit(trio.authority, reviewing);
    await collectCredentials(reviewing, trio.authority);
    const offer = await publishOffer(trio.hospital, researchOffer());
    const started = await startNegotiation(reviewing, trio.hospital, offer);
    const agreed = await waitForState(reviewing, started.id, ['AGREED', 'TERMINATED']);
    expect(agreed).toMatchObject({ state: 'AGREED', pending: 'review' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await jsonOf(await managementFetch(reviewing, `/negotiations/${encodeURIComponent(started.id)}`))).state).toBe('AGREED');
    const verified = await jsonOf(await managementFetch(reviewing, `/negotiations/${encodeURIComponent(started.id)}/verify`, { method: 'POST' }));
    expect(['VERIFIED', 'FINALIZED']).toContain(verified.state);
    expect((await waitForState(reviewing, started.id, ['FINALIZED', 'TERMINATED'])).state).toBe('FINALIZED');
  });
});
