import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import type { RunningConnector } from '../../connector/server.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';
const HDC = 'https://w3id.org/health-dataspace-connector/v1';
// VCDM 2.0 §B.1 publishes the SHA-256 digest of the base context; digestSRI takes SHA-384 of the same file.
const V2_SHA256_MULTIBASE = `u${Buffer.from('24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9', 'hex').toString('base64url')}`;
const V2_SHA384_SRI = `sha384-${Buffer.from('35239c36999d2155312091af194a1edb61634d6ad789a5e5b19f2aebdd762dd9d1dcaada40eda7ef921c6b8c0ae107a0', 'hex').toString('base64')}`;

let authority: RunningConnector;
const issue = (credential: unknown, options?: unknown, apiKey = authority.ctx.apiKey) =>
  fetch(`${authority.url}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ credential, ...(options ? { options } : {}) }),
  });
const verify = (verifiableCredential: unknown) =>
  fetch(`${authority.url}/credentials/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential }) });

/** The smallest credential VCDM 2.0 allows: a context, a type and a subject; the issuer fills in the rest. */
const minimal = (): Record<string, any> => ({ '@context': [V2, EXAMPLES], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:alice' } });

beforeAll(async () => {
  authority = await startTestConnector({ role: 'governance-authority' });
});

describe('VC-API POST /credentials/issue: every valid VCDM 2.0 credential is issued', () => {
  const valid: [string, (c: Record<string, any>) => void][] = [
    ['a subject with only an id', () => {}],
    ['a subject with claims and no id', (c) => (c.credentialSubject = { name: 'Alice' })],
    ['several subjects', (c) => (c.credentialSubject = [{ id: 'did:example:alice' }, { id: 'did:example:bob', name: 'Bob' }])],
    ['types given as URLs, in any order', (c) => (c.type = ['https://example.org/types#Alumni', 'VerifiableCredential'])],
    ['a credential id that is a URL', (c) => (c.id = `https://example.org/credentials/${crypto.randomUUID()}`)],
    ['an inline context after the base context', (c) => (c['@context'] = [V2, { Degree: 'https://example.org/vocab#Degree' }])],
    ['names and descriptions as strings', (c) => Object.assign(c, { name: 'Alumni card', description: 'Membership of the alumni association' })],
    [
      'names as language value objects with a direction',
      (c) =>
        (c.name = [
          { '@value': 'Alumni card', '@language': 'en', '@direction': 'ltr' },
          { '@value': 'Carte des anciens', '@language': 'fr' },
        ]),
    ],
    ['validity with milliseconds and a time zone offset', (c) => Object.assign(c, { validFrom: '2026-01-01T00:00:00.123+01:00', validUntil: '2099-01-01T00:00:00Z' })],
    ['a validFrom far in the future', (c) => (c.validFrom = '2099-06-01T00:00:00Z')],
    ['a validUntil already past', (c) => (c.validUntil = '2020-01-01T00:00:00Z')],
    ['a caller-supplied status entry', (c) => (c.credentialStatus = { id: 'https://example.org/status/24#5', type: 'ExampleStatusEntry' })],
    ['a status entry without an id', (c) => (c.credentialStatus = { type: 'ExampleStatusEntry' })],
    ['a credential schema', (c) => (c.credentialSchema = [{ id: 'https://example.org/schemas/alumni.json', type: 'JsonSchema' }])],
    ['evidence', (c) => (c.evidence = [{ id: 'https://example.org/evidence/1', type: ['Evidence'] }, { type: 'Evidence' }])],
    ['terms of use, with and without an id', (c) => (c.termsOfUse = [{ type: 'ExamplePolicy' }, { id: 'https://example.org/policies/1', type: 'ExamplePolicy' }])],
    ['a refresh service', (c) => (c.refreshService = { type: 'ExampleRefreshService', url: 'https://example.org/refresh' })],
    ['a related resource with a matching digestSRI', (c) => (c.relatedResource = { id: V2, digestSRI: V2_SHA384_SRI })],
    [
      'a related resource with a matching digestMultibase and a media type',
      (c) => (c.relatedResource = [{ id: V2, digestMultibase: V2_SHA256_MULTIBASE, mediaType: 'application/ld+json' }]),
    ],
    ['a related resource the issuer does not hold', (c) => (c.relatedResource = [{ id: 'https://example.org/logo.png', digestSRI: V2_SHA384_SRI }])],
  ];
  for (const [what, mutate] of valid) {
    it(`issues ${what}`, async () => {
      const credential = minimal();
      mutate(credential);
      const response = await issue(credential);
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(201);
      // Everything given is kept as given (status entries are checked on their own below).
      const { credentialStatus: _status, ...given } = credential;
      expect(body.verifiableCredential).toMatchObject({ ...given, proof: { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022' } });
    });
  }

  it('adds issuer, id, validity, a revocation status entry and a proof', async () => {
    const { verifiableCredential: vc } = await jsonOf(await issue(minimal()));
    expect(vc).toMatchObject({ issuer: authority.did, credentialStatus: { type: 'BitstringStatusListEntry', statusListCredential: `${authority.url}/status/revocation-0001` } });
    expect(vc.id).toMatch(/^urn:uuid:/);
    expect(Date.parse(vc.validUntil)).toBeGreaterThan(Date.now());
    expect(vc.proof.verificationMethod).toBe(`${authority.did}#key-1`);
    const list = await jsonOf(await fetch(`${authority.url}/status/revocation-0001`));
    expect(list.type).toContain('BitstringStatusListCredential');
    expect(list.credentialSubject.encodedList).toMatch(/^u/);
  });

  it('keeps an issuer object as given, with its name and description', async () => {
    const issuer = { id: authority.did, name: [{ '@value': 'Health Data Access Body', '@language': 'en' }], description: 'Issues dataspace credentials' };
    const { verifiableCredential: vc } = await jsonOf(await issue({ ...minimal(), issuer }));
    expect(vc.issuer).toEqual(issuer);
    expect((await verify(vc)).status).toBe(200);
  });

  it('keeps caller-supplied status entries and adds its own after them', async () => {
    const given = { id: 'https://example.org/status/24#5', type: 'ExampleStatusEntry' };
    const { verifiableCredential: vc } = await jsonOf(await issue({ ...minimal(), credentialStatus: given }));
    expect(vc.credentialStatus).toHaveLength(2);
    expect(vc.credentialStatus[0]).toEqual(given);
    expect(vc.credentialStatus[1]).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
  });

  it('signs with eddsa-jcs-2022 when options.cryptosuite asks, and verifies what it signed', async () => {
    const { verifiableCredential: vc } = await jsonOf(await issue(minimal(), { cryptosuite: 'eddsa-jcs-2022' }));
    expect(vc.proof).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', proofPurpose: 'assertionMethod' });
    expect((await verify(vc)).status).toBe(200);
  });

  it('still applies the dataspace claim rules to its own credential types', async () => {
    const response = await issue({
      '@context': [V2, HDC],
      type: ['VerifiableCredential', 'ParticipantCredential'],
      credentialSubject: { id: 'did:web:example.org', legalName: 'Hôpital' },
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await jsonOf(response))).toMatch(/credentialSubject.registrationNumber/);
  });

  it('requires the management API key', async () => {
    expect((await issue(minimal(), undefined, 'x'.repeat(40))).status).toBe(401);
  });

  it('refuses the same credential id twice (it would make revocation ambiguous)', async () => {
    const credential = { ...minimal(), id: `https://example.org/credentials/${crypto.randomUUID()}` };
    expect((await issue(credential)).status).toBe(201);
    expect((await issue(credential)).status).toBe(409);
  });
});

describe('VC-API POST /credentials/issue: every invalid credential is refused with 400 and the reason', () => {
  const invalid: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['no @context', (c) => delete c['@context'], /@context: must be an array/],
    ['@context as a string', (c) => (c['@context'] = V2), /@context: must be an array/],
    ['a first context that is not the base context', (c) => (c['@context'] = [EXAMPLES, V2]), /@context\[0\]: must be "https:\/\/www.w3.org\/ns\/credentials\/v2"/],
    ['a context that is a number', (c) => c['@context'].push(42), /@context\[2\]: must be a URL or a context object/],
    ['a context that is not a URL', (c) => c['@context'].push('https ://example.org/v1'), /@context\[2\]: must be a URL/],
    ['a context the issuer does not hold', (c) => c['@context'].push('https://example.org/unknown/v1'), /https:\/\/example.org\/unknown\/v1/],
    ['no type', (c) => delete c.type, /type: is missing/],
    ['a type without VerifiableCredential', (c) => (c.type = ['ExampleCredential']), /type: must include "VerifiableCredential"/],
    ['a type no context defines', (c) => Object.assign(c, { '@context': [V2, { '@vocab': null }], type: ['VerifiableCredential', 'ExampleCredential'] }), /type/],
    [
      'a type mapped to something that is not a URL',
      (c) => Object.assign(c, { '@context': [V2, { Odd: 'https ://not-a-url#Odd' }], type: ['VerifiableCredential', 'Odd'] }),
      /type|IRI/i,
    ],
    ['a redefinition of a protected term', (c) => (c['@context'] = [V2, { VerifiableCredential: 'https://example.org/#Other' }]), /protected term redefinition/],
    ['a claim no context defines', (c) => Object.assign(c, { '@context': [V2], credentialSubject: { id: 'did:example:alice', nickname: 'Al' } }), /nickname/],
    ['an id that is a list', (c) => (c.id = ['https://example.org/1', 'https://example.org/2']), /id: must be a single URL/],
    ['an id that is null', (c) => (c.id = null), /id: must be a URL/],
    ['an id that is not a URL', (c) => (c.id = 'not a url'), /id: must be a URL/],
    ['another issuer', (c) => (c.issuer = 'did:web:example.org'), /issuer must be one of this authority's DIDs/],
    ['an issuer that is a number', (c) => (c.issuer = 42), /issuer must be one of this authority's DIDs/],
    ['an issuer object whose id is not a URL', (c) => (c.issuer = { id: 'not a url' }), /issuer must be one of this authority's DIDs/],
    [
      'an issuer name with an extra property',
      (c) => (c.issuer = { id: authority.did, name: { '@value': 'A', '@language': 'en', url: 'x' } }),
      /issuer.name: a language value object holds only/,
    ],
    ['a credential description with an extra property', (c) => (c.description = { '@value': 'A', extra: 1 }), /description: a language value object holds only/],
    ['no credentialSubject', (c) => delete c.credentialSubject, /credentialSubject: is missing/],
    ['an empty credentialSubject', (c) => (c.credentialSubject = {}), /credentialSubject: must make a claim/],
    ['an empty subject among several', (c) => (c.credentialSubject = [{ id: 'did:example:alice' }, {}]), /credentialSubject\[1\]: must make a claim/],
    ['a subject id that is a list', (c) => (c.credentialSubject = { id: ['did:example:a', 'did:example:b'] }), /credentialSubject.id: must be a single URL/],
    ['an invalid validFrom', (c) => (c.validFrom = '2026-13-01T00:00:00Z'), /validFrom: must be an XML Schema dateTimeStamp/],
    ['a validFrom without a time zone', (c) => (c.validFrom = '2026-01-01T00:00:00'), /validFrom: must be an XML Schema dateTimeStamp/],
    ['an invalid validUntil', (c) => (c.validUntil = 'tomorrow'), /validUntil: must be an XML Schema dateTimeStamp/],
    [
      'a validUntil before validFrom',
      (c) => Object.assign(c, { validFrom: '2026-02-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }),
      /validUntil: must not be before validFrom/,
    ],
    ['a status entry without a type', (c) => (c.credentialStatus = { id: 'https://example.org/status#1' }), /credentialStatus.type: is missing/],
    ['a status entry whose type is a number', (c) => (c.credentialStatus = { type: 2 }), /credentialStatus.type: must contain only non-empty strings/],
    [
      'a status entry with two ids',
      (c) => (c.credentialStatus = { id: ['https://a.example/1', 'https://a.example/2'], type: 'ExampleStatusEntry' }),
      /credentialStatus.id: must be a single URL/,
    ],
    ['a status entry whose id is not a URL', (c) => (c.credentialStatus = { id: 'not a url', type: 'ExampleStatusEntry' }), /credentialStatus.id: must be a URL/],
    ['a credential schema without an id', (c) => (c.credentialSchema = { type: 'JsonSchema' }), /credentialSchema.id: must be a URL/],
    ['a credential schema without a type', (c) => (c.credentialSchema = { id: 'https://example.org/schema.json' }), /credentialSchema.type: is missing/],
    ['evidence without a type', (c) => (c.evidence = [{ id: 'https://example.org/evidence/1' }]), /evidence\[0\].type: is missing/],
    ['terms of use without a type', (c) => (c.termsOfUse = { id: 'https://example.org/policies/1' }), /termsOfUse.type: is missing/],
    ['a refresh service without a type', (c) => (c.refreshService = { url: 'https://example.org/refresh' }), /refreshService.type: is missing/],
    ['related resources given as strings', (c) => (c.relatedResource = [V2]), /relatedResource\[0\]: must be an object/],
    ['a related resource without an id', (c) => (c.relatedResource = [{ digestMultibase: V2_SHA256_MULTIBASE }]), /relatedResource\[0\].id: must be a URL/],
    [
      'two related resources with the same id',
      (c) =>
        (c.relatedResource = [
          { id: V2, digestSRI: V2_SHA384_SRI },
          { id: V2, digestMultibase: V2_SHA256_MULTIBASE },
        ]),
      /must be unique/,
    ],
    ['a related resource without a digest', (c) => (c.relatedResource = [{ id: V2 }]), /must have a digestSRI or a digestMultibase/],
    [
      'a related resource whose digestMultibase does not match',
      (c) => (c.relatedResource = [{ id: V2, digestMultibase: `u${Buffer.alloc(32, 7).toString('base64url')}` }]),
      /digestMultibase: does not match the digest of/,
    ],
    [
      'a related resource whose digestSRI does not match',
      (c) => (c.relatedResource = [{ id: V2, digestSRI: `sha384-${Buffer.alloc(48, 7).toString('base64')}` }]),
      /digestSRI: does not match the digest of/,
    ],
    ['a proof already present', (c) => (c.proof = { type: 'DataIntegrityProof' }), /proof: must be absent/],
  ];
  for (const [what, mutate, reason] of invalid) {
    it(`refuses ${what}`, async () => {
      const credential = minimal();
      mutate(credential);
      const response = await issue(credential);
      const body = await jsonOf(response);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect([body.error.message, ...(body.error.details ?? [])].join('\n')).toMatch(reason);
    });
  }

  it('refuses an unknown cryptosuite', async () => {
    expect((await issue(minimal(), { cryptosuite: 'ecdsa-rdfc-2019' })).status).toBe(400);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await fetch(`${authority.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
      body: '{',
    });
    expect(response.status).toBe(400);
  });

  it('issues nothing on refusal', async () => {
    const before = (await jsonOf(await managementFetch(authority, '/credentials'))).credentials.length;
    await issue({ ...minimal(), credentialSubject: {} });
    await issue({ ...minimal(), '@context': [V2, 'https://example.org/unknown/v1'] });
    expect((await jsonOf(await managementFetch(authority, '/credentials'))).credentials.length).toBe(before);
  });

  it('is not served by a connector that is not an authority', async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    const response = await fetch(`${hospital.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hospital.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credential: minimal() }),
    });
    expect(response.status).toBe(404);
  });
});
