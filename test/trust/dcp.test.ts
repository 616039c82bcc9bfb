import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startJoseParty, type JoseParty } from '../support/jose-party.ts';
import { scopeForType } from '../../connector/trust/scopes.ts';
import type { RunningConnector } from '../../connector/server.ts';

/**
 * DCP 1.0 against a live connector, by a TCK-like peer that signs ES256 with a P-256 JsonWebKey2020 (as the
 * DCP TCK and EDC do): the secure token service, self-issued ID token validation (§4.3.3), presentation
 * queries by scope and by presentation definition (§5.4), and the Storage and Offer APIs (§6.5, §6.6).
 */

const MEMBERSHIP = 'MembershipCredential';
const SENSITIVE = 'SensitiveDataCredential';
const DCP = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';

async function stsToken(holder: RunningConnector, audience: string, scopes: string[], secret = holder.ctx.apiKey): Promise<Response> {
  return fetch(`${holder.url}/sts/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: holder.did, client_secret: secret, audience, bearer_access_scope: scopes.join(' ') }),
  });
}

/** The access token (the `token` claim) the holder's STS binds to `verifier` for `types`. */
async function accessToken(holder: RunningConnector, verifier: string, types: string[]): Promise<string> {
  const response = await stsToken(holder, verifier, types.map(scopeForType));
  expect(response.status).toBe(200);
  return decodeJwt((await jsonOf(response)).access_token).token as string;
}

function query(holder: RunningConnector, authorization: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${holder.url}/dcp/presentations/query`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ '@context': [DCP], type: 'PresentationQueryMessage', ...body }),
  });
}

function storeCredentials(holder: RunningConnector, authorization: string | undefined, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${holder.url}/dcp/credentials`, {
    method: 'POST',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
    body: JSON.stringify({ '@context': [DCP], type: 'CredentialMessage', issuerPid: crypto.randomUUID(), holderPid: crypto.randomUUID(), status: 'ISSUED', ...body }),
  });
}

/** The credential types inside a JWT presentation (its vp claim's JWT credentials). */
function typesInJwtPresentation(vp: string): string[] {
  const credentials = (decodeJwt(vp).vp as { verifiableCredential: string[] }).verifiableCredential;
  return credentials.flatMap((jwt) => (decodeJwt(jwt).vc as { type: string[] }).type);
}

describe('DCP 1.0 credential service, secure token service and storage API', () => {
  let holder: RunningConnector;
  let issuer: JoseParty;
  let verifier: JoseParty;
  let third: JoseParty;
  const scope = [scopeForType(MEMBERSHIP)];

  beforeAll(async () => {
    [issuer, verifier, third] = await Promise.all([startJoseParty(), startJoseParty(), startJoseParty()]);
    holder = await startTestConnector({
      role: 'research-institute',
      name: 'dcp-holder',
      jwtAlgorithm: 'ES256',
      trustedIssuers: [{ did: issuer.did, credentialTypes: [MEMBERSHIP, SENSITIVE] }],
    });
    const delivered = await storeCredentials(holder, `Bearer ${await issuer.idToken(holder.did)}`, {
      credentials: [
        { credentialType: MEMBERSHIP, format: 'vc1_0_jwt', payload: await issuer.issue(holder.did, MEMBERSHIP, { memberOf: 'dataspace' }) },
        { credentialType: SENSITIVE, format: 'vc1_0_jwt', payload: await issuer.issue(holder.did, SENSITIVE, { level: 'high' }) },
      ],
    });
    expect(delivered.status, await delivered.clone().text()).toBe(200);
  });

  describe('secure token service (DCP 1.0 §4.3.2, client credentials)', () => {
    it('gives a self-issued token for the audience carrying an access token for the scopes', async () => {
      const response = await stsToken(holder, verifier.did, scope);
      expect(response.status).toBe(200);
      const body = await jsonOf(response);
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
      const claims = decodeJwt(body.access_token);
      expect(claims).toMatchObject({ iss: holder.did, sub: holder.did, aud: verifier.did, token: expect.any(String) });
      expect(decodeJwt(claims.token as string)).toMatchObject({ iss: holder.did, sub: verifier.did, scope: scope[0] });
    });

    it('refuses a wrong client secret (invalid_client) and another grant type', async () => {
      const wrong = await stsToken(holder, verifier.did, scope, 'not-the-key');
      expect(wrong.status).toBe(401);
      expect((await jsonOf(wrong)).error).toBe('invalid_client');
      const grant = await fetch(`${holder.url}/sts/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', client_id: holder.did, client_secret: holder.ctx.apiKey, audience: verifier.did }),
      });
      expect((await jsonOf(grant)).error).toBe('unsupported_grant_type');
    });
  });

  describe('self-issued ID tokens (DCP 1.0 §4.3.3)', () => {
    it('accepts an ES256 token from a JsonWebKey2020 key living 600 s, and answers with a JWT presentation', async () => {
      const response = await query(holder, `Bearer ${await verifier.idToken(holder.did, { token: await accessToken(holder, verifier.did, [MEMBERSHIP]) })}`, { scope });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = await jsonOf(response);
      expect(body).toMatchObject({ '@context': [DCP], type: 'PresentationResponseMessage' });
      expect(typesInJwtPresentation(body.presentation[0])).toEqual(['VerifiableCredential', MEMBERSHIP]);
      expect(decodeJwt(body.presentation[0])).toMatchObject({ iss: holder.did, aud: verifier.did });
    });

    it('accepts a token without kid when the DID document has one verification method', async () => {
      const token = await verifier.idToken(holder.did, { token: await accessToken(holder, verifier.did, [MEMBERSHIP]) }, { kid: null });
      expect((await query(holder, `Bearer ${token}`, { scope })).status).toBe(200);
    });

    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ['without the Bearer prefix', async (token: string) => verifier.idToken(holder.did, { token })],
      ['with nbf in the future', async (token: string) => `Bearer ${await verifier.idToken(holder.did, { token, nbf: now() + 1_000_000 })}`],
      ['expired', async (token: string) => `Bearer ${await verifier.idToken(holder.did, { token, exp: now() - 1_000_000 })}`],
      ['with iss and sub different', async (token: string) => `Bearer ${await verifier.idToken(holder.did, { token, sub: third.did })}`],
      ['for another audience', async (token: string) => `Bearer ${await verifier.idToken(verifier.did, { token })}`],
      ['living longer than 600 s', async (token: string) => `Bearer ${await verifier.idToken(holder.did, { token }, { lifetimeS: 3600 })}`],
    ])('refuses a token %s (401)', async (_name, authorization) => {
      const response = await query(holder, await authorization(await accessToken(holder, verifier.did, [MEMBERSHIP])), { scope });
      expect(response.status).toBe(401);
    });

    it('refuses a jti used twice, and an access token bound to another verifier', async () => {
      const jti = crypto.randomUUID();
      const first = await query(holder, `Bearer ${await verifier.idToken(holder.did, { jti, token: await accessToken(holder, verifier.did, [MEMBERSHIP]) })}`, { scope });
      expect(first.status).toBe(200);
      const again = await query(holder, `Bearer ${await verifier.idToken(holder.did, { jti, token: await accessToken(holder, verifier.did, [MEMBERSHIP]) })}`, { scope });
      expect(again.status).toBe(401);
      const stolen = await query(holder, `Bearer ${await third.idToken(holder.did, { token: await accessToken(holder, verifier.did, [MEMBERSHIP]) })}`, { scope });
      expect(stolen.status).toBe(401);
      expect((await query(holder, `Bearer ${await verifier.idToken(holder.did, { token: 'faketoken' })}`, { scope })).status).toBe(401);
    });
  });

  describe('presentation query (DCP 1.0 §5.4)', () => {
    const authorize = async (types: string[]) => `Bearer ${await verifier.idToken(holder.did, { token: await accessToken(holder, verifier.did, types) })}`;

    it('presents only what the access token grants, when asked for more (scope escalation)', async () => {
      const response = await query(holder, await authorize([MEMBERSHIP]), { scope: [scopeForType(MEMBERSHIP), scopeForType(SENSITIVE)] });
      expect(response.status).toBe(200);
      expect(typesInJwtPresentation((await jsonOf(response)).presentation[0])).toEqual(['VerifiableCredential', MEMBERSHIP]);
    });

    it('presents less than the token grants when asked for less', async () => {
      const response = await query(holder, await authorize([MEMBERSHIP, SENSITIVE]), { scope: [scopeForType(SENSITIVE)] });
      expect(typesInJwtPresentation((await jsonOf(response)).presentation[0])).toEqual(['VerifiableCredential', SENSITIVE]);
    });

    it('answers a presentation definition (DIF Presentation Exchange) within the granted types', async () => {
      const definition = {
        id: crypto.randomUUID(),
        input_descriptors: [{ id: 'credential', format: 'vcdm11_jwt', constraints: { fields: [{ path: ['$.type'], filter: { type: 'string', pattern: SENSITIVE } }] } }],
      };
      const response = await query(holder, await authorize([MEMBERSHIP, SENSITIVE]), { presentationDefinition: definition });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(typesInJwtPresentation((await jsonOf(response)).presentation[0])).toEqual(['VerifiableCredential', SENSITIVE]);
      const escalated = await query(holder, await authorize([MEMBERSHIP]), { presentationDefinition: definition });
      expect(typesInJwtPresentation((await jsonOf(escalated)).presentation[0])).toEqual([]);
    });

    it.each([
      ['both a scope and a presentation definition', { scope, presentationDefinition: { id: 'x', input_descriptors: [{ id: 'a' }] } }],
      ['an empty presentation definition', { presentationDefinition: {} }],
      ['a null presentation definition and no scope', { presentationDefinition: null }],
      ['an empty scope', { scope: [] }],
      ['neither', {}],
    ])('refuses a query with %s (400)', async (_name, body) => {
      expect((await query(holder, await authorize([MEMBERSHIP]), body)).status).toBe(400);
    });
  });

  describe('storage API (DCP 1.0 §6.5)', () => {
    const message = async () => ({ credentials: [{ credentialType: MEMBERSHIP, format: 'vc1_0_jwt', payload: await issuer.issue(holder.did, MEMBERSHIP) }] });

    it('stores what the issuer delivers with its own token, once per token', async () => {
      const before = (await jsonOf(await managementFetch(holder, '/wallet/credentials'))).credentials.length;
      const authorization = `Bearer ${await issuer.idToken(holder.did)}`;
      expect((await storeCredentials(holder, authorization, await message())).status).toBe(200);
      expect((await storeCredentials(holder, authorization, await message())).status).toBe(401);
      const after = await jsonOf(await managementFetch(holder, '/wallet/credentials'));
      expect(after.credentials.length).toBe(before + 1);
      expect(after.credentials.at(-1)).toMatchObject({ types: ['VerifiableCredential', MEMBERSHIP], issuer: issuer.did, status: 'valid' });
    });

    it('refuses a message without a token, without the Bearer prefix, with a bad status or body', async () => {
      expect((await storeCredentials(holder, undefined, await message())).status).toBe(401);
      expect((await storeCredentials(holder, await issuer.idToken(holder.did), await message())).status).toBe(401);
      expect((await storeCredentials(holder, `Bearer ${await issuer.idToken(holder.did)}`, { ...(await message()), status: 'INVALID_STATUS' })).status).toBe(400);
      expect((await storeCredentials(holder, `Bearer ${await issuer.idToken(holder.did)}`, { ...(await message()), holderPid: undefined })).status).toBe(400);
    });

    it('stores none of a message with a credential about someone else, or from another issuer than the sender', async () => {
      const before = (await jsonOf(await managementFetch(holder, '/wallet/credentials'))).credentials.length;
      const foreign = await storeCredentials(holder, `Bearer ${await issuer.idToken(holder.did)}`, {
        credentials: [...(await message()).credentials, { credentialType: MEMBERSHIP, format: 'vc1_0_jwt', payload: await issuer.issue(third.did, MEMBERSHIP) }],
      });
      expect(foreign.status).toBe(400);
      expect((await jsonOf(foreign)).error.message).toMatch(/credentials\[1\].*wrong_holder/);
      const relayed = await storeCredentials(holder, `Bearer ${await third.idToken(holder.did)}`, await message());
      expect(relayed.status).toBe(400);
      expect((await jsonOf(await managementFetch(holder, '/wallet/credentials'))).credentials.length).toBe(before);
    });
  });

  describe('offer API (DCP 1.0 §6.6)', () => {
    const offer = (from: string, credentials: unknown[] = [{ id: crypto.randomUUID(), type: 'CredentialObject', credentialType: MEMBERSHIP, offerReason: 'reissue' }]) => ({
      '@context': [DCP],
      type: 'CredentialOfferMessage',
      issuer: from,
      credentials,
    });
    const send = async (party: JoseParty, body: unknown, bearer = true) =>
      fetch(`${holder.url}/dcp/offers`, {
        method: 'POST',
        headers: { authorization: `${bearer ? 'Bearer ' : ''}${await party.idToken(holder.did)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('accepts an offer from its issuer, also with only ids', async () => {
      expect((await send(issuer, offer(issuer.did))).status).toBe(200);
      expect((await send(issuer, offer(issuer.did, [{ id: crypto.randomUUID() }, { id: crypto.randomUUID() }]))).status).toBe(200);
    });

    it('refuses an offer without issuer, in another name, or without the Bearer prefix', async () => {
      expect((await send(issuer, { ...offer(issuer.did), issuer: null })).status).toBe(400);
      expect((await send(third, offer(issuer.did))).status).toBe(403);
      expect((await send(issuer, offer(issuer.did), false)).status).toBe(401);
    });
  });
});

describe('a verifier asking an EDC-style participant (ES256 did:web, JWT presentation of a JWT credential)', () => {
  let hospital: RunningConnector;
  let edcIssuer: JoseParty;
  let edcHolder: JoseParty;
  let answer: () => Promise<{ status: number; body: unknown }>;
  const seen: { authorization?: string; body: string }[] = [];

  const catalogRequest = async () =>
    fetch(`${hospital.url}/dsp/2025-1/catalog/request?limit=100`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await edcHolder.idToken(hospital.did, { token: 'opaque-edc-access-token' })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
    });
  const titles = async (response: Response) => ((await jsonOf(response)).dataset ?? []).map((d: any) => d['dct:title'][0]['@value']);
  const responseWith = (presentation: unknown[]) => ({ status: 200, body: { '@context': [DCP], type: 'PresentationResponseMessage', presentation } });

  beforeAll(async () => {
    edcIssuer = await startJoseParty();
    edcHolder = await startJoseParty(async (req, res, body) => {
      if (req.url !== '/cs/presentations/query') return void res.writeHead(404).end();
      seen.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const { status, body: out } = await answer();
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    });
    hospital = await startTestConnector({ role: 'hospital', name: 'dcp-verifier', trustedIssuers: [{ did: edcIssuer.did, credentialTypes: ['ParticipantCredential'] }] });
    const { exampleDataset, registerDataset } = await import('../catalog/support.ts');
    await registerDataset(hospital, exampleDataset(hospital, { title: { en: 'Open cohort' } }));
    await registerDataset(hospital, exampleDataset(hospital, { title: { en: 'Members only cohort' }, visibility: 'members' }));
  });

  it('accepts the presentation: the member sees the members-only dataset', async () => {
    const credential = await edcIssuer.issue(edcHolder.did, 'ParticipantCredential', { membershipStatus: 'active' });
    answer = async () => responseWith([await edcHolder.present(hospital.did, [credential])]);
    const response = await catalogRequest();
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await titles(response)).toEqual(expect.arrayContaining(['Open cohort', 'Members only cohort']));
    // The hospital asked with its own self-issued token for the holder, carrying the holder's opaque access token.
    const asked = seen.at(-1)!;
    expect(asked.authorization).toMatch(/^Bearer /);
    expect(decodeJwt(asked.authorization!.slice(7))).toMatchObject({ iss: hospital.did, sub: hospital.did, aud: edcHolder.did, token: 'opaque-edc-access-token' });
    expect(JSON.parse(asked.body)).toMatchObject({ type: 'PresentationQueryMessage', scope: [scopeForType('ParticipantCredential')] });
  });

  it.each([
    ['made for another verifier', async (vc: string) => edcHolder.present(edcIssuer.did, [vc])],
    ['signed by someone else than its holder', async (vc: string) => edcIssuer.present(hospital.did, [vc])],
    ['expired', async (vc: string) => edcHolder.present(hospital.did, [vc], { exp: Math.floor(Date.now() / 1000) - 3600 })],
  ])('refuses the catalog request (403) when the presentation is %s', async (_name, make) => {
    const credential = await edcIssuer.issue(edcHolder.did, 'ParticipantCredential', { membershipStatus: 'active' });
    answer = async () => responseWith([await make(credential)]);
    const response = await catalogRequest();
    expect(response.status).toBe(403);
    expect(await jsonOf(response)).toMatchObject({ '@type': 'CatalogError', code: '403' });
  });

  it('refuses it when the credential inside is expired, from an untrusted issuer, or about someone else', async () => {
    for (const credential of [
      await edcIssuer.issue(edcHolder.did, 'ParticipantCredential', { membershipStatus: 'active' }, { expiresInS: -3600 }),
      await edcHolder.issue(edcHolder.did, 'ParticipantCredential', { membershipStatus: 'active' }),
      await edcIssuer.issue(edcIssuer.did, 'ParticipantCredential', { membershipStatus: 'active' }),
    ]) {
      answer = async () => responseWith([await edcHolder.present(hospital.did, [credential])]);
      expect((await catalogRequest()).status).toBe(403);
    }
  });

  it('refuses it when the credential service does not answer, or answers an empty presentation array', async () => {
    answer = async () => ({ status: 500, body: {} });
    expect((await catalogRequest()).status).toBe(403);
    answer = async () => responseWith([]);
    expect((await catalogRequest()).status).toBe(403);
  });

  it('shows the public catalog to a caller that offers no access token, without asking for a presentation', async () => {
    const asked = seen.length;
    const response = await fetch(`${hospital.url}/dsp/2025-1/catalog/request?limit=100`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await edcHolder.idToken(hospital.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
    });
    expect(await titles(response)).toEqual(['Open cohort']);
    expect(seen.length).toBe(asked);
  });
});

describe('a catalog that requires credentials of every caller (catalogRequiredCredentials, DCP 1.0 §5.4.2)', () => {
  let hospital: RunningConnector;
  let issuer: JoseParty;
  let holder: JoseParty;
  let presented: () => Promise<string[]>;
  const asked: string[] = [];
  const request = async (token?: string) =>
    fetch(`${hospital.url}/dsp/2025-1/catalog/request`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await holder.idToken(hospital.did, token ? { token } : {})}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
    });

  beforeAll(async () => {
    issuer = await startJoseParty();
    holder = await startJoseParty(async (_req, res, body) => {
      asked.push(body);
      const presentation = await holder.present(hospital.did, await presented());
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ '@context': [DCP], type: 'PresentationResponseMessage', presentation: [presentation] }));
    });
    hospital = await startTestConnector({
      name: 'dcp-required',
      catalogRequiredCredentials: ['MembershipCredential'],
      trustedIssuers: [{ did: issuer.did, credentialTypes: ['MembershipCredential'] }],
    });
  });

  it('asks for exactly the required types and answers the catalog when all are presented', async () => {
    presented = async () => [await issuer.issue(holder.did, 'MembershipCredential')];
    const response = await request('access');
    expect(response.status, await response.clone().text()).toBe(200);
    expect(JSON.parse(asked.at(-1)!)).toMatchObject({ scope: [scopeForType('MembershipCredential')] });
  });

  it('refuses (403) a verified presentation that lacks a required credential, and a caller without an access token', async () => {
    presented = async () => [];
    const lacking = await request('access');
    expect(lacking.status).toBe(403);
    expect((await jsonOf(lacking)).reason[0]).toMatch(/lacks a requested credential: MembershipCredential/);
    const count = asked.length;
    expect((await request()).status).toBe(403);
    expect(asked.length).toBe(count);
  });
});
