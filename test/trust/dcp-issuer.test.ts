import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startJoseParty, type JoseParty } from '../support/jose-party.ts';
import { until } from '../support/wait.ts';
import { admit, startTrio, type Trio } from '../support/dataspace.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { openJwtCredential, openSignedDocument } from '../../contracts/credentials/jwt-credentials.ts';

/**
 * The governance authority as a DCP Issuer Service (DCP 1.0 §6): endpoint discovery, issuer metadata, a
 * CredentialRequestMessage answered by a CredentialMessage sent to the holder's Storage API, and the
 * request's status; for a TCK-like holder (ES256, JsonWebKey2020) and for a connector of this project.
 */

const DCP = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';

describe('DCP issuer service on the governance authority', () => {
  let authority: RunningConnector;
  let member: JoseParty;
  let stranger: JoseParty;
  const delivered: { authorization?: string; body: any }[] = [];

  const request = async (party: JoseParty, body: Record<string, unknown>, bearer = true, claims: Record<string, unknown> = {}) =>
    fetch(`${authority.url}/issuer/credentials`, {
      method: 'POST',
      headers: { authorization: `${bearer ? 'Bearer ' : ''}${await party.idToken(authority.did, claims)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP], type: 'CredentialRequestMessage', holderPid: 'holder-1', credentials: [{ id: 'participant-credential' }], ...body }),
    });
  const status = async (party: JoseParty, location: string) => fetch(location, { headers: { authorization: `Bearer ${await party.idToken(authority.did)}` } });

  beforeAll(async () => {
    const storage = async (req: any, res: any, body: string) => {
      if (req.url !== '/cs/credentials') return void res.writeHead(404).end();
      delivered.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200).end();
    };
    [member, stranger] = await Promise.all([startJoseParty(storage), startJoseParty(storage)]);
    authority = await startTestConnector({ role: 'governance-authority', name: 'dcp-issuer' });
    await admit(authority, member, 'research-institute');
  });

  it('is discoverable in the DID document and publishes its metadata (§6.2, §6.7)', async () => {
    const doc = await jsonOf(await fetch(`${authority.url}/.well-known/did.json`));
    const service = doc.service.find((s: any) => s.type === 'IssuerService');
    expect(service.serviceEndpoint).toBe(`${authority.url}/issuer`);
    const metadata = await jsonOf(await fetch(`${service.serviceEndpoint}/metadata`));
    expect(metadata).toMatchObject({ '@context': [DCP], type: 'IssuerMetadata', issuer: authority.did });
    expect(metadata.credentialsSupported.map((c: any) => `${c.id} ${c.credentialType} ${c.profile}`)).toEqual([
      'participant-credential ParticipantCredential vc20-bssl/ldp',
      'participant-credential-jwt ParticipantCredential vc11-sl2021/jwt',
      'data-permit-credential DataPermitCredential vc20-bssl/ldp',
      'data-permit-credential-jwt DataPermitCredential vc11-sl2021/jwt',
    ]);
    for (const offered of metadata.credentialsSupported)
      expect(Object.keys(offered)).toEqual(expect.arrayContaining(['id', 'type', 'credentialType', 'credentialSchema', 'offerReason', 'bindingMethods', 'profile']));
  });

  it('accepts a member’s request (201, Location), delivers its credential to the storage API, and reports ISSUED (§6.4, §6.8)', async () => {
    const response = await request(member, {});
    expect(response.status, await response.clone().text()).toBe(201);
    const location = response.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${authority.url}/issuer/requests/`));
    const message = (await until('the credential message', () => delivered.find((d) => d.body.issuerPid === decodeURIComponent(location.split('/').at(-1)!)), Boolean))!;
    expect(message.body).toMatchObject({ type: 'CredentialMessage', holderPid: 'holder-1', status: 'ISSUED' });
    expect(message.body.credentials[0]).toMatchObject({ credentialType: 'ParticipantCredential', format: 'ldp_vc', payload: { credentialSubject: { id: member.did } } });
    expect(decodeJwt(message.authorization!.slice('Bearer '.length))).toMatchObject({ iss: authority.did, sub: authority.did, aud: member.did });
    const answered = await until(
      'ISSUED',
      async () => jsonOf(await status(member, location)),
      (s) => s.status === 'ISSUED',
    );
    expect(answered).toMatchObject({ '@context': [DCP], type: 'CredentialStatus', holderPid: 'holder-1' });
  });

  it('hands the holder’s access token back in the ID token of its credential message, and keeps it sealed until then (§6.4)', async () => {
    const token = `holder-write-token-${crypto.randomUUID()}`;
    const response = await request(member, { holderPid: 'holder-token' }, true, { token });
    expect(response.status, await response.clone().text()).toBe(201);
    const message = (await until('the credential message', () => delivered.find((d) => d.body.holderPid === 'holder-token'), Boolean))!;
    expect(decodeJwt(message.authorization!.slice('Bearer '.length))).toMatchObject({ iss: authority.did, aud: member.did, token });
    const rows = await authority.ctx.database.db.selectFrom('outbox').select(['access_token', 'body']).execute();
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('delivers the vc11-sl2021/jwt form as a VC-JWT 1.1 of the same credential, signed with its JWT key', async () => {
    const response = await request(member, { holderPid: 'holder-jwt', credentials: [{ id: 'participant-credential-jwt' }] });
    expect(response.status, await response.clone().text()).toBe(201);
    const message = (await until('the JWT credential', () => delivered.find((d) => d.body.holderPid === 'holder-jwt'), Boolean))!;
    const [delivery] = message.body.credentials;
    expect(delivery).toMatchObject({ credentialType: 'ParticipantCredential', format: 'vc11-sl2021/jwt', payload: expect.stringMatching(/^ey/) });
    const opened = await openJwtCredential(delivery.payload, authority.ctx.documentLoader);
    expect(opened.verified, JSON.stringify(opened)).toBe(true);
    const claims = decodeJwt(delivery.payload);
    expect(claims).toMatchObject({ iss: authority.did, sub: member.did, vc: { '@context': [expect.stringContaining('2018/credentials/v1'), expect.anything()] } });
    expect(claims.vc).toMatchObject({ issuanceDate: expect.any(String), credentialSubject: { id: member.did } });
    expect(claims.vc).not.toHaveProperty('proof');
    const checked = await authority.ctx.trust.verifier.verifyCredential(delivery.payload, { holder: member.did, alsoTrusted: [{ did: authority.did, credentialTypes: ['*'] }] });
    expect(checked.verified, JSON.stringify(checked)).toBe(true);
  });

  it('answers a stranger’s request with a REJECTED credential message', async () => {
    const response = await request(stranger, { holderPid: 'stranger-1' });
    expect(response.status).toBe(201);
    const message = (await until('the rejection', () => delivered.find((d) => d.body.holderPid === 'stranger-1'), Boolean))!;
    expect(message.body).toMatchObject({ status: 'REJECTED', credentials: [], rejectionReason: expect.stringMatching(/not an active member/) });
    expect((await jsonOf(await status(stranger, response.headers.get('location')!))).status).toBe('REJECTED');
  });

  it('refuses a request without Bearer, without holderPid, or for a credential it does not offer; hides others’ requests', async () => {
    expect((await request(member, {}, false)).status).toBe(401);
    expect((await request(member, { holderPid: undefined })).status).toBe(400);
    expect((await request(member, { credentials: [{ id: 'something-else' }] })).status).toBe(400);
    const mine = (await request(member, { holderPid: 'holder-2' })).headers.get('location')!;
    expect((await status(stranger, mine)).status).toBe(404);
    expect((await status(member, `${authority.url}/issuer/requests/urn%3Auuid%3Anone`)).status).toBe(404);
  });
});

describe('the member registry, signed', () => {
  it('is a JWS by the authority for whoever asks for application/jwt; a copy signed by anyone else is refused', async () => {
    const authority = await startTestConnector({ role: 'governance-authority', name: 'signed-registry' });
    const institute = await startTestConnector({ role: 'research-institute', name: 'registry-reader' });
    await admit(authority, institute, 'research-institute');
    const response = await fetch(`${authority.url}/registry/members`, { headers: { accept: 'application/jwt' } });
    expect(response.headers.get('content-type')).toBe('application/jwt');
    const jws = await response.text();
    const opened = await openSignedDocument(jws, authority.did, institute.ctx.documentLoader);
    expect(opened.verified, JSON.stringify(opened)).toBe(true);
    expect(opened.verified && (opened.claims.members as { did: string }[]).map((m) => m.did)).toEqual([institute.did]);
    const forger = await startJoseParty();
    const forged = await forger.idToken(authority.did, { iss: authority.did, members: [{ did: forger.did }] });
    expect(await openSignedDocument(forged, authority.did, institute.ctx.documentLoader)).toMatchObject({ verified: false, code: 'unresolvable_key' });
    expect(await openSignedDocument(jws, institute.did, institute.ctx.documentLoader)).toMatchObject({ verified: false, code: 'untrusted_issuer' });
  });
});

describe('a connector of this project requesting its credential from the authority over DCP', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio();
    await admit(trio.authority, trio.institute, 'research-institute');
  });

  it('asks through its management API and receives it in its wallet through its storage API, verified', async () => {
    // The operator asks (POST /api/wallet/credential-requests): every credential the issuer's metadata offers.
    const response = await managementFetch(trio.institute, '/wallet/credential-requests', { method: 'POST', body: JSON.stringify({ issuerDid: trio.authority.did }) });
    expect(response.status, await response.clone().text()).toBe(202);
    const requested = await jsonOf(response);
    expect(requested).toMatchObject({
      issuerDid: trio.authority.did,
      requested: ['participant-credential', 'data-permit-credential'],
      location: expect.stringContaining('/issuer/requests/'),
    });
    const held = await until(
      'the participant credential in the wallet',
      async () => (await jsonOf(await managementFetch(trio.institute, '/wallet/credentials'))).credentials,
      (list: any[]) => list.some((c) => c.types.includes('ParticipantCredential')),
    );
    expect(held.find((c: any) => c.types.includes('ParticipantCredential'))).toMatchObject({ issuer: trio.authority.did, status: 'valid' });
  });
});
