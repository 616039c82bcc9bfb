import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import type { RunningConnector } from '../../connector/server.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const HDC = 'https://w3id.org/health-dataspace-connector/v1';

describe('VC-API POST /credentials/issue', () => {
  let authority: RunningConnector;
  const subject = 'did:web:127.0.0.1%3A9999';
  const valid = () => ({
    '@context': [V2, HDC],
    type: ['VerifiableCredential', 'ParticipantCredential'],
    credentialSubject: { id: subject, legalName: 'Hôpital Test', registrationNumber: { kind: 'vatID', value: 'LU1' }, headquartersCountry: 'LU', dataspaceRole: 'hospital', membershipStatus: 'active' },
  });
  const issue = (credential: unknown, apiKey = authority.ctx.apiKey) =>
    fetch(`${authority.url}/credentials/issue`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ credential }) });

  beforeAll(async () => {
    authority = await startTestConnector({ role: 'governance-authority' });
  });

  it('issues a conformant credential with issuer, validity, status entry and proof', async () => {
    const response = await issue(valid());
    expect(response.status).toBe(201);
    const { verifiableCredential: vc } = await jsonOf(response);
    expect(vc).toMatchObject({ issuer: authority.did, credentialStatus: { type: 'BitstringStatusListEntry', statusListCredential: `${authority.url}/status/revocation-0001` } });
    expect(Date.parse(vc.validUntil)).toBeGreaterThan(Date.now());
    expect(vc.proof.verificationMethod).toBe(`${authority.did}#key-1`);
    const list = await jsonOf(await fetch(`${authority.url}/status/revocation-0001`));
    expect(list.type).toContain('BitstringStatusListCredential');
    expect(list.credentialSubject.encodedList).toMatch(/^u/);
  });

  it('requires the management API key', async () => {
    expect((await issue(valid(), 'x'.repeat(40))).status).toBe(401);
  });

  const malformed: [string, (c: any) => void, RegExp][] = [
    ['missing type', (c) => delete c.type, /type: is missing/],
    ['type without VerifiableCredential', (c) => (c.type = ['ParticipantCredential']), /type: must include "VerifiableCredential"/],
    ['bad @context order', (c) => (c['@context'] = [HDC, V2]), /@context\[0\]: must be "https:\/\/www.w3.org\/ns\/credentials\/v2"/],
    ['@context not an array', (c) => (c['@context'] = V2), /@context: must be an array/],
    ['invalid validFrom', (c) => (c.validFrom = '2026-13-01'), /validFrom: must be an XML Schema dateTimeStamp/],
    ['validFrom without time zone', (c) => (c.validFrom = '2026-01-01T00:00:00'), /validFrom: must be an XML Schema dateTimeStamp/],
    ['validUntil before validFrom', (c) => ((c.validFrom = '2026-02-01T00:00:00Z'), (c.validUntil = '2026-01-01T00:00:00Z')), /validUntil: must not be before validFrom/],
    ['subject without claims', (c) => (c.credentialSubject = { id: subject }), /credentialSubject: must make at least one claim/],
    ['missing subject', (c) => delete c.credentialSubject, /credentialSubject: is missing/],
    ['id that is not a URL', (c) => (c.id = 'not a url'), /id: must be a URL/],
    ['another issuer', (c) => (c.issuer = 'did:web:example.org'), /issuer must be this authority's DID/],
    ['invalid issuer', (c) => (c.issuer = 42), /issuer must be this authority's DID/],
    ['a proof already present', (c) => (c.proof = { type: 'DataIntegrityProof' }), /proof: must be absent/],
    ['a status entry set by the caller', (c) => (c.credentialStatus = { type: 'BitstringStatusListEntry' }), /credentialStatus must be absent/],
    ['participant claims missing', (c) => delete c.credentialSubject.legalName, /credentialSubject.legalName: must be a non-empty string/],
    ['a bad country code', (c) => (c.credentialSubject.headquartersCountry = 'Luxembourg'), /headquartersCountry: must be an ISO 3166-1 alpha-2/],
    ['an unknown role', (c) => (c.credentialSubject.dataspaceRole = 'broker'), /dataspaceRole: must be one of/],
  ];
  for (const [what, mutate, message] of malformed) {
    it(`refuses ${what} with a 400 that says why`, async () => {
      const credential = valid();
      mutate(credential);
      const response = await issue(credential);
      expect(response.status).toBe(400);
      const body = await jsonOf(response);
      expect([body.error.message, ...(body.error.details ?? [])].join("\n")).toMatch(message);
    });
  }

  it('refuses a body that is not JSON', async () => {
    const response = await fetch(`${authority.url}/credentials/issue`, { method: 'POST', headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' }, body: '{' });
    expect(response.status).toBe(400);
  });

  it('issues nothing on refusal', async () => {
    const before = (await jsonOf(await managementFetch(authority, '/credentials'))).credentials.length;
    await issue({ ...valid(), type: ['VerifiableCredential'], credentialSubject: { id: subject } });
    expect((await jsonOf(await managementFetch(authority, '/credentials'))).credentials.length).toBe(before);
  });

  it('is not served by a connector that is not an authority', async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    const response = await fetch(`${hospital.url}/credentials/issue`, { method: 'POST', headers: { authorization: `Bearer ${hospital.ctx.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ credential: valid() }) });
    expect(response.status).toBe(404);
  });
});

describe('VC-API POST /presentations/verify', () => {
  it('needs a challenge and a domain', async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    const response = await fetch(`${hospital.url}/presentations/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiablePresentation: { type: ['VerifiablePresentation'] } }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await jsonOf(response))).toMatch(/options/);
  });
});
