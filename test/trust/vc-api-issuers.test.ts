import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import type { RunningConnector } from '../../connector/server.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const V1 = 'https://www.w3.org/2018/credentials/v1';
const HDC = 'https://w3id.org/health-dataspace-connector/v1';

let authority: RunningConnector;
let didKey: string;
const issue = (credential: unknown, options?: unknown) =>
  fetch(`${authority.url}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential, ...(options ? { options } : {}) }),
  });
const verify = async (verifiableCredential: unknown) =>
  jsonOf(await fetch(`${authority.url}/credentials/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential }) }));
const issued = async (credential: unknown, options?: unknown) => {
  const response = await issue(credential, options);
  const body = await jsonOf(response);
  expect(response.status, JSON.stringify(body)).toBe(201);
  return body.verifiableCredential;
};
const record = async (id: string) => (await jsonOf(await managementFetch(authority, '/credentials'))).credentials.find((c: { id: string }) => c.id === id);
const revoke = (id: string) => managementFetch(authority, `/credentials/${encodeURIComponent(id)}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'test' }) });

/** A VCDM 1.1 credential as the W3C suites send it: the 1.1 context, no dates. */
const v11 = (): Record<string, any> => ({ '@context': [V1], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:alice' } });
const v20 = (): Record<string, any> => ({ '@context': [V2], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:alice' } });

beforeAll(async () => {
  authority = await startTestConnector({ role: 'governance-authority', statusListCacheTtlSeconds: 0 });
  didKey = `did:key:${authority.ctx.key.publicKeyMultibase}`;
});

describe('VC-API issuer: a VCDM 1.1 credential is secured as 1.1', () => {
  for (const cryptosuite of ['eddsa-rdfc-2022', 'eddsa-jcs-2022']) {
    it(`adds issuer, issuanceDate and expirationDate, signs with ${cryptosuite}, and verifies what it signed`, async () => {
      const vc = await issued(v11(), { cryptosuite });
      expect(vc['@context'][0]).toBe(V1);
      expect(vc).toMatchObject({ issuer: authority.did, proof: { type: 'DataIntegrityProof', cryptosuite } });
      expect(Math.abs(Date.parse(vc.issuanceDate) - Date.now())).toBeLessThan(60_000);
      expect(Date.parse(vc.expirationDate)).toBeGreaterThan(Date.now());
      expect(vc.validFrom).toBeUndefined();
      expect((await verify(vc)).verified).toBe(true);
    });
  }

  it("keeps the caller's issuanceDate and expirationDate", async () => {
    const dates = { issuanceDate: '2026-01-01T00:00:00Z', expirationDate: '2099-01-01T00:00:00Z' };
    expect(await issued({ ...v11(), ...dates })).toMatchObject(dates);
  });

  it('adds no status entry of its own (its terms are defined by the 2.0 context only); revoking marks the record only', async () => {
    const vc = await issued(v11());
    expect(vc.credentialStatus).toBeUndefined();
    expect((await record(vc.id)).status).toBeNull();
    expect((await revoke(vc.id)).status).toBe(200);
    expect((await record(vc.id)).revokedAt).toBeTruthy();
  });

  it("keeps a caller's status entry whose context defines it", async () => {
    const credentialStatus = { id: 'https://example.org/status/24#5', type: 'ExampleStatusEntry' };
    const vc = await issued({ ...v11(), '@context': [V1, { ExampleStatusEntry: 'https://example.org/vocab#ExampleStatusEntry' }], credentialStatus });
    expect(vc.credentialStatus).toEqual(credentialStatus);
  });

  const refused: [string, Record<string, any>, unknown, RegExp][] = [
    [
      'a status entry whose type no context defines',
      { ...v11(), credentialStatus: { id: 'https://example.org/status/1', type: 'ExampleStatusEntry' } },
      undefined,
      /ExampleStatusEntry/,
    ],
    ['an issuanceDate that is not an XML Schema dateTime', { ...v11(), issuanceDate: '2026-01-01' }, undefined, /issuanceDate: must be an XML Schema dateTime/],
    [
      'an expirationDate before the issuanceDate',
      { ...v11(), issuanceDate: '2026-01-01T00:00:00Z', expirationDate: '2025-01-01T00:00:00Z' },
      undefined,
      /expirationDate: must not be before issuanceDate/,
    ],
    [
      "one of the dataspace's own types (they are 2.0 only)",
      { '@context': [V1, HDC], type: ['VerifiableCredential', 'ParticipantCredential'], credentialSubject: { id: 'did:web:example.org' } },
      undefined,
      /VCDM 2.0 credentials only/,
    ],
    ['a VC-JOSE envelope (it secures VCDM 2.0 only)', v11(), { envelope: 'application/vc+jwt' }, /VC-JOSE .* secures VCDM 2.0 credentials only/],
  ];
  for (const [what, credential, options, reason] of refused) {
    it(`refuses ${what} with 400 and the reason`, async () => {
      const response = await issue(credential, options);
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect([body.error.message, ...(body.error.details ?? [])].join(' ')).toMatch(reason);
    });
  }
});

describe("VC-API issuer: the did:key of the authority's identity key", () => {
  it('issues under the did:key when the credential names it, with a status list the did:key signs', async () => {
    const vc = await issued({ ...v20(), issuer: didKey }, { cryptosuite: 'eddsa-jcs-2022' });
    const [, multibase] = didKey.split('did:key:');
    expect(vc.issuer).toBe(didKey);
    expect(vc.proof.verificationMethod).toBe(`${didKey}#${multibase}`);
    expect(vc.credentialStatus.statusListCredential).toBe(`${authority.url}/status/key-revocation-0001`);
    const list = await jsonOf(await fetch(vc.credentialStatus.statusListCredential));
    expect(list).toMatchObject({ issuer: didKey, proof: { verificationMethod: `${didKey}#${multibase}` } });
    expect((await verify(vc)).verified).toBe(true);
  });

  it('keeps an issuer object naming the did:key, and verifies it (rdfc)', async () => {
    const vc = await issued({ ...v20(), issuer: { id: didKey, name: 'Health Data Access Body' } });
    expect(vc.issuer).toEqual({ id: didKey, name: 'Health Data Access Body' });
    expect((await verify(vc)).verified).toBe(true);
  });

  it('secures a VCDM 1.1 credential under the did:key', async () => {
    const vc = await issued({ ...v11(), issuer: didKey });
    expect(vc.proof.verificationMethod.startsWith(`${didKey}#`)).toBe(true);
    expect((await verify(vc)).verified).toBe(true);
  });

  it('envelopes a did:key credential (VC-JOSE) with the did:key as kid, and verifies it', async () => {
    const vc = await issued({ ...v20(), issuer: didKey }, { envelope: 'application/vc+jwt' });
    const jws = vc.id.slice('data:application/vc+jwt,'.length);
    expect(JSON.parse(Buffer.from(jws.split('.')[0], 'base64url').toString()).kid).toBe(`${didKey}#${didKey.slice('did:key:'.length)}`);
    expect((await verify(vc)).verified).toBe(true);
  });

  it('revokes a did:key credential in its own status list', async () => {
    const vc = await issued({ ...v20(), issuer: didKey });
    expect((await revoke(vc.id)).status).toBe(200);
    const result = await verify(vc);
    expect(result.verified).toBe(false);
    expect(result.errors[0].code).toBe('revoked');
  });

  it('keeps the did:web and the did:key status lists apart', async () => {
    const web = await issued(v20());
    expect(web.credentialStatus.statusListCredential).toBe(`${authority.url}/status/revocation-0001`);
    expect((await jsonOf(await fetch(web.credentialStatus.statusListCredential))).issuer).toBe(authority.did);
  });

  it("issues the dataspace's own credential types under its did:web only", async () => {
    const response = await issue({
      '@context': [V2, HDC],
      type: ['VerifiableCredential', 'ParticipantCredential'],
      issuer: didKey,
      credentialSubject: {
        id: 'did:web:example.org',
        legalName: 'Hôpital',
        registrationNumber: { kind: 'vatID', value: 'LU123' },
        headquartersCountry: 'LU',
        dataspaceRole: 'hospital',
        membershipStatus: 'active',
      },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await jsonOf(response))).toMatch(/issued under did:web/);
  });

  it('refuses a did:key that is not its own', async () => {
    const response = await issue({ ...v20(), issuer: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.code).toBe('invalid_issuer');
  });
});
