import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startJoseParty, type JoseParty } from '../support/jose-party.ts';
import { until } from '../support/wait.ts';
import { admit, grantPermit, startTrio, type Trio } from '../support/dataspace.ts';
import { resumeOffers } from '../../connector/trust/credential-requests.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { walletIssuanceStore } from '../../connector/storage/wallet-issuance-store.ts';

/**
 * DCP 1.0 issuance between live connectors: the authority's CredentialOfferMessage on admission and on a
 * permit (§6.6), the holder's Offer API recording it and requesting from a trusted issuer, and the Storage API
 * matching each CredentialMessage to the request it answers by holderPid (§6.5).
 */

const DCP = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';
const api = async (connector: RunningConnector, path: string, body?: unknown) =>
  managementFetch(connector, path, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

describe('the authority offers what it issues (CredentialOfferMessage, §6.6)', () => {
  let authority: RunningConnector;
  let holder: JoseParty;
  const offers: { authorization?: string; body: any }[] = [];

  beforeAll(async () => {
    holder = await startJoseParty(async (req, res, body) => {
      if (req.url !== '/cs/offers') return void res.writeHead(404).end();
      offers.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200).end();
    });
    authority = await startTestConnector({ role: 'governance-authority', name: 'offering-authority' });
  });

  const admitHolder = () => admit(authority, holder, 'research-institute');

  it('sends the member an offer of its ParticipantCredential when it admits it, then of a DataPermitCredential', async () => {
    await admitHolder();
    const first = (await until('the offer', () => offers[0], Boolean))!;
    expect(first.body).toMatchObject({ '@context': [DCP], type: 'CredentialOfferMessage', issuer: authority.did });
    const metadata = await jsonOf(await fetch(`${authority.url}/issuer/metadata`));
    // The offered objects are the issuer metadata's, whole.
    expect(first.body.credentials).toEqual([metadata.credentialsSupported.find((c: any) => c.id === 'participant-credential')]);
    expect(decodeJwt(first.authorization!.slice('Bearer '.length))).toMatchObject({ iss: authority.did, sub: authority.did, aud: holder.did });

    const permit = await api(authority, '/permits', {
      holder: holder.did,
      projectId: 'p1',
      purposes: ['scientific-research'],
      healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
      validUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(permit.status).toBe(201);
    const second = (await until('the permit offer', () => offers[1], Boolean))!;
    expect(second.body.credentials.map((c: any) => [c.id, c.credentialType])).toEqual([['data-permit-credential', 'DataPermitCredential']]);
  });

  it('offers the new ParticipantCredential of a member admitted again for reissue', async () => {
    await admitHolder();
    const third = (await until('the reissue offer', () => offers[2], Boolean))!;
    expect(third.body.credentials).toMatchObject([{ id: 'participant-credential', offerReason: 'reissue' }]);
  });
});

describe('a member answering the authority’s offers, and its requests matched by holderPid', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio({ hospital: { requestOfferedCredentials: false } });
  });

  it('requests an offered credential from its trusted authority by itself: offer, request and delivery are recorded', async () => {
    await admit(trio.authority, trio.institute, 'research-institute');
    const [offer] = await until(
      'the offer requested',
      async () => (await jsonOf(await api(trio.institute, '/wallet/offers'))).offers,
      (list: any[]) => list[0]?.status === 'requested',
    );
    expect(offer).toMatchObject({ issuerDid: trio.authority.did, credentials: [{ id: 'participant-credential', credentialType: 'ParticipantCredential' }] });
    const request = await until(
      'the delivery',
      async () => jsonOf(await api(trio.institute, `/wallet/credential-requests/${encodeURIComponent(offer.holderPid)}`)),
      (r: any) => r.status === 'ISSUED',
    );
    expect(request).toMatchObject({ issuerDid: trio.authority.did, requested: ['participant-credential'], offerId: offer.id, issuerPid: expect.stringMatching(/^urn:uuid:/) });
    const held = (await jsonOf(await api(trio.institute, '/wallet/credentials'))).credentials;
    expect(held.filter((c: any) => request.credentialIds.includes(c.id)).map((c: any) => c.types.at(-1))).toEqual(['ParticipantCredential']);
    // The authority's side of the same request.
    const status = await fetch(`${trio.authority.url}/issuer/requests/${encodeURIComponent(request.issuerPid)}`, {
      headers: { authorization: `Bearer ${await trio.institute.ctx.trust.selfIssuedToken(trio.authority.did, [])}` },
    });
    expect(await jsonOf(status)).toMatchObject({ type: 'CredentialStatus', holderPid: offer.holderPid, status: 'ISSUED' });
  });

  it('requests, once it is up again, an offer it had recorded but not acted on when it stopped', async () => {
    const offers = walletIssuanceStore(trio.institute.ctx.database.db);
    const id = `urn:uuid:${crypto.randomUUID()}`;
    await offers.insertOffer({
      id,
      issuerDid: trio.authority.did,
      credentials: [{ id: 'participant-credential', type: 'CredentialObject', credentialType: 'ParticipantCredential' }],
      status: 'received',
    });
    await resumeOffers(trio.institute.ctx);
    const offer = (await offers.offers()).find((o) => o.id === id)!;
    expect(offer).toMatchObject({ status: 'requested', holderPid: expect.stringMatching(/^urn:uuid:/) });
    await until(
      'the delivery',
      async () => jsonOf(await api(trio.institute, `/wallet/credential-requests/${encodeURIComponent(offer.holderPid!)}`)),
      (r: any) => r.status === 'ISSUED',
    );
  });

  it('only records the offer when requestOfferedCredentials is off', async () => {
    await admit(trio.authority, trio.hospital, 'hospital');
    const [offer] = await until(
      'the offer',
      async () => (await jsonOf(await api(trio.hospital, '/wallet/offers'))).offers,
      (list: any[]) => list.length > 0,
    );
    expect(offer).toMatchObject({ status: 'ignored', holderPid: null, note: expect.stringMatching(/requestOfferedCredentials is off/) });
    expect((await jsonOf(await api(trio.hospital, '/wallet/credential-requests'))).requests).toEqual([]);
    expect((await jsonOf(await api(trio.hospital, '/wallet/credentials'))).credentials).toEqual([]);
  });

  it('POST /api/wallet/request sends a CredentialRequestMessage and answers with what its delivery stored', async () => {
    await grantPermit(trio.authority, trio.institute);
    const response = await api(trio.hospital, '/wallet/request', { authorityDid: trio.authority.did, waitSeconds: 20 });
    expect(response.status, await response.clone().text()).toBe(200);
    const result = await jsonOf(response);
    expect(result).toMatchObject({ status: 'ISSUED', issuerDid: trio.authority.did, refused: [] });
    expect(result.stored.map((c: any) => c.types.at(-1))).toEqual(['ParticipantCredential']);
    const request = await jsonOf(await api(trio.hospital, `/wallet/credential-requests/${encodeURIComponent(result.holderPid)}`));
    expect(request).toMatchObject({ status: 'ISSUED', requested: ['participant-credential', 'data-permit-credential'], credentialIds: [result.stored[0].id] });
  });

  it('reports a REJECTED request (not a member) and a delivery the wallet REFUSED (issuer not trusted for the type)', async () => {
    const outsider = await startTestConnector({ role: 'hospital', name: 'outsider', trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['ParticipantCredential'] }] });
    const rejected = await jsonOf(await api(outsider, '/wallet/request', { authorityDid: trio.authority.did }));
    expect(rejected).toMatchObject({ status: 'REJECTED', rejectionReason: expect.stringMatching(/not an active member/), stored: [], refused: [] });
    expect((await jsonOf(await api(outsider, `/wallet/credential-requests/${encodeURIComponent(rejected.holderPid)}`))).status).toBe('REJECTED');

    await admit(trio.authority, outsider, 'research-institute');
    await grantPermit(trio.authority, outsider);
    const refused = await jsonOf(await api(outsider, '/wallet/request', { authorityDid: trio.authority.did, credentials: ['data-permit-credential'] }));
    expect(refused).toMatchObject({ status: 'REFUSED', stored: [], refused: [{ code: 'untrusted_issuer' }] });
    // Asked for nothing in particular, it asks only for what it trusts the authority for.
    const trusted = await jsonOf(await api(outsider, '/wallet/request', { authorityDid: trio.authority.did }));
    expect(trusted).toMatchObject({ status: 'ISSUED', refused: [] });
    expect((await jsonOf(await api(outsider, `/wallet/credential-requests/${encodeURIComponent(trusted.holderPid)}`))).requested).toEqual(['participant-credential']);
  });
});

describe('deliveries matched by holderPid, from a TCK-like issuer service', () => {
  let holder: RunningConnector;
  let issuer: JoseParty;
  let other: JoseParty;
  const requests: any[] = [];

  beforeAll(async () => {
    // An issuer service that acknowledges requests (201) and delivers only when the test says so.
    issuer = await startJoseParty(
      async (req, res, body) => {
        if (req.url === '/is/metadata')
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              '@context': [DCP],
              type: 'IssuerMetadata',
              issuer: issuer.did,
              credentialsSupported: [{ id: 'membership', type: 'CredentialObject', credentialType: 'MembershipCredential' }],
            }),
          );
        if (req.url === '/is/credentials' && req.method === 'POST') {
          requests.push(JSON.parse(body));
          return void res.writeHead(201, { location: `${issuer.url}/is/requests/req-${requests.length}` }).end();
        }
        res.writeHead(404).end();
      },
      { services: [{ type: 'IssuerService', path: '/is' }] },
    );
    other = await startJoseParty();
    holder = await startTestConnector({
      role: 'research-institute',
      name: 'matching-holder',
      trustedIssuers: [
        { did: issuer.did, credentialTypes: ['MembershipCredential'] },
        { did: other.did, credentialTypes: ['MembershipCredential'] },
      ],
    });
  });

  const deliver = async (from: JoseParty, holderPid: string, status = 'ISSUED') =>
    fetch(`${holder.url}/dcp/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await from.idToken(holder.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        '@context': [DCP],
        type: 'CredentialMessage',
        issuerPid: crypto.randomUUID(),
        holderPid,
        status,
        credentials: status === 'ISSUED' ? [{ credentialType: 'MembershipCredential', format: 'vc1_0_jwt', payload: await from.issue(holder.did, 'MembershipCredential') }] : [],
      }),
    });

  it('answers 504 when the delivery does not come in time, then matches the late delivery to the request', async () => {
    const started = Date.now();
    const late = await api(holder, '/wallet/request', { authorityDid: issuer.did, waitSeconds: 1 });
    expect(late.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5000);
    const [sent] = requests;
    expect(sent).toMatchObject({ '@context': [DCP], type: 'CredentialRequestMessage', credentials: [{ id: 'membership' }] });
    expect((await jsonOf(await api(holder, `/wallet/credential-requests/${encodeURIComponent(sent.holderPid)}`))).status).toBe('RECEIVED');

    // Another issuer cannot answer this holder's request to the first.
    expect((await deliver(other, sent.holderPid)).status).toBe(400);
    expect((await jsonOf(await api(holder, `/wallet/credential-requests/${encodeURIComponent(sent.holderPid)}`))).status).toBe('RECEIVED');
    expect((await deliver(issuer, sent.holderPid)).status).toBe(200);
    const request = await jsonOf(await api(holder, `/wallet/credential-requests/${encodeURIComponent(sent.holderPid)}`));
    expect(request).toMatchObject({ status: 'ISSUED', issuerPid: expect.any(String), credentialIds: [expect.stringMatching(/^urn:uuid:/)] });
    const held = (await jsonOf(await api(holder, '/wallet/credentials'))).credentials.find((c: any) => c.id === request.credentialIds[0]);
    expect(held).toMatchObject({ types: ['VerifiableCredential', 'MembershipCredential'], issuer: issuer.did });
  });

  it('marks a request REFUSED when its ISSUED delivery carries no credential', async () => {
    const sent = await jsonOf(await api(holder, '/wallet/credential-requests', { issuerDid: issuer.did }));
    const empty = await fetch(`${holder.url}/dcp/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.idToken(holder.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP], type: 'CredentialMessage', issuerPid: 'x', holderPid: sent.holderPid, status: 'ISSUED', credentials: [] }),
    });
    expect(empty.status).toBe(400);
    expect(await jsonOf(await api(holder, `/wallet/credential-requests/${encodeURIComponent(sent.holderPid)}`))).toMatchObject({
      status: 'REFUSED',
      reason: expect.stringMatching(/at least one credential/),
    });
  });

  it('stores a delivery whose holderPid it never sent when its credentials pass (the TCK sends its own holderPid), recording no request', async () => {
    const before = (await jsonOf(await api(holder, '/wallet/credential-requests'))).requests.length;
    expect((await deliver(issuer, crypto.randomUUID())).status).toBe(200);
    expect((await deliver(issuer, crypto.randomUUID(), 'REJECTED')).status).toBe(204);
    expect((await jsonOf(await api(holder, '/wallet/credential-requests'))).requests.length).toBe(before);
  });

  it('records an offer from an issuer it does not trust without requesting anything', async () => {
    const stranger = await startJoseParty();
    const offered = await fetch(`${holder.url}/dcp/offers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stranger.idToken(holder.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP], type: 'CredentialOfferMessage', issuer: stranger.did, credentials: [{ id: 'x' }] }),
    });
    expect(offered.status).toBe(200);
    const [offer] = (await jsonOf(await api(holder, '/wallet/offers'))).offers;
    expect(offer).toMatchObject({ issuerDid: stranger.did, status: 'ignored', note: 'the issuer is not a trusted issuer' });
  });

  it('keeps the latest 500 offers (any DID may send one)', async () => {
    const store = walletIssuanceStore(holder.ctx.database.db);
    for (let i = 0; i < 505; i++)
      await store.insertOffer({ id: `urn:uuid:${crypto.randomUUID()}`, issuerDid: 'did:web:flood.example', credentials: [{ id: 'x' }], status: 'ignored' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.insertOffer({ id: 'urn:uuid:newest', issuerDid: 'did:web:flood.example', credentials: [{ id: 'x' }], status: 'ignored' });
    const count = await holder.ctx.database.db
      .selectFrom('wallet_credential_offers')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(500);
    expect((await store.offers(1))[0]!.id).toBe('urn:uuid:newest');
  });

  it('resolves a sparse offer (ids only) from a trusted issuer against its metadata and requests it', async () => {
    const offered = await fetch(`${holder.url}/dcp/offers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.idToken(holder.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP], type: 'CredentialOfferMessage', issuer: issuer.did, credentials: [{ id: 'membership' }] }),
    });
    expect(offered.status).toBe(200);
    const offer = await until(
      'the sparse offer requested',
      async () => (await jsonOf(await api(holder, '/wallet/offers'))).offers.find((o: any) => o.issuerDid === issuer.did),
      (o: any) => o?.status === 'requested',
    );
    expect(requests.at(-1)).toMatchObject({ holderPid: offer.holderPid, credentials: [{ id: 'membership' }] });
  });
});
