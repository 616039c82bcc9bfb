import { describe, expect, it } from 'vitest';
import { checkCredentialDataModel, checkPresentationDataModel, dataModelVersion, describeProblems } from '../../../contracts/credentials/data-model.ts';
import { checkDataspaceClaims } from '../../../contracts/credentials/dataspace-claims.ts';
import { checkJsonLd } from '../../../contracts/credentials/json-ld-check.ts';
import { checkRelatedResourceDigests, digestsOfBytes } from '../../../contracts/credentials/related-resource.ts';
import { offlineDocumentLoader } from '../../../vocab/document-loader.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const V1 = 'https://www.w3.org/2018/credentials/v1';
const credential = (extra: Record<string, unknown> = {}) => ({
  '@context': [V2],
  type: ['VerifiableCredential'],
  issuer: 'did:example:issuer',
  credentialSubject: { id: 'did:example:alice' },
  ...extra,
});
const problems = (doc: unknown, versions?: ('2.0' | '1.1')[]) => describeProblems(checkCredentialDataModel(doc, versions ? { versions } : {}));

describe('VCDM 2.0 §4: the credential data model', () => {
  it('accepts the smallest conforming credential: a subject with only an id', () => {
    expect(checkCredentialDataModel(credential())).toEqual([]);
  });

  it('tells the data model from the first context', () => {
    expect(dataModelVersion(credential())).toBe('2.0');
    expect(dataModelVersion({ '@context': [V1] })).toBe('1.1');
    expect(dataModelVersion({ '@context': ['https://example.org/v1'] })).toBeUndefined();
  });

  it('§4.4 identifiers: a single URL', () => {
    expect(problems(credential({ id: ['https://a.example/1', 'https://a.example/2'] }))).toMatch(/^id: must be a single URL$/);
    expect(problems(credential({ id: 'urn:uuid:0b2f8d1c-6f8e-4c1b-9a43-0b6c5a1f1e2a' }))).toBe('');
  });

  it('§4.6 names and descriptions: strings or language value objects only', () => {
    expect(problems(credential({ name: { '@value': 'Card', '@language': 'en', '@direction': 'rtl' } }))).toBe('');
    expect(problems(credential({ name: { '@value': 'Card', '@direction': 'up' } }))).toMatch(/name.@direction: must be "ltr" or "rtl"/);
    expect(problems(credential({ description: [{ '@value': 'x', '@language': 'not a tag!' }] }))).toMatch(/description\[0\].@language/);
    expect(problems(credential({ name: 42 }))).toMatch(/name: must be a string or a language value object/);
  });

  it('§4.7 issuer: a URL or an object whose id is a URL', () => {
    expect(problems(credential({ issuer: { id: 'did:example:issuer', name: 'Issuer' } }))).toBe('');
    expect(problems(credential({ issuer: {} }))).toMatch(/issuer.id: must be a URL/);
    expect(problems(credential({ issuer: null }))).toMatch(/issuer: is missing/);
  });

  it('§4.8 subjects: one or more objects, each making a claim', () => {
    expect(problems(credential({ credentialSubject: [] }))).toMatch(/credentialSubject: is missing/);
    expect(problems(credential({ credentialSubject: ['did:example:alice'] }))).toMatch(/credentialSubject\[0\]: must be an object/);
    expect(problems(credential({ credentialSubject: { name: 'Alice' } }))).toBe('');
  });

  it('§4.9 validity: dateTimeStamps, validUntil not before validFrom', () => {
    expect(problems(credential({ validFrom: '2026-02-30T00:00:00Z' }))).toMatch(/validFrom/);
    expect(problems(credential({ validFrom: '2026-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }))).toBe('');
  });

  it('§4.10–4.11, §5.4–5.6: status, schema, evidence, terms of use and refresh entries need a type', () => {
    for (const key of ['credentialStatus', 'credentialSchema', 'evidence', 'termsOfUse', 'refreshService']) {
      expect(problems(credential({ [key]: { id: 'https://example.org/x' } }))).toMatch(new RegExp(`${key}.type: is missing`));
      expect(problems(credential({ [key]: null }))).toMatch(new RegExp(`${key}: must be an object`));
    }
  });

  it('§5.3 related resources: unique ids, at least one well-formed digest', () => {
    expect(problems(credential({ relatedResource: { id: V2, digestSRI: 'md5-abc' } }))).toMatch(/digestSRI: must be a Subresource Integrity value/);
    expect(problems(credential({ relatedResource: { id: V2, digestMultibase: 'xabc' } }))).toMatch(/digestMultibase: must be a multibase value/);
    expect(problems(credential({ relatedResource: { id: V2, digestMultibase: 'uabc', mediaType: 7 } }))).toMatch(/mediaType: must be a string/);
  });

  it('VCDM 1.1 is accepted only when asked for, with its own dates', () => {
    const v1 = {
      '@context': [V1],
      type: ['VerifiableCredential'],
      issuer: 'did:example:issuer',
      issuanceDate: '2020-01-01T00:00:00',
      credentialSubject: { id: 'did:example:alice' },
    };
    expect(problems(v1)).toMatch(/@context\[0\]: must be "https:\/\/www.w3.org\/ns\/credentials\/v2"/);
    expect(problems(v1, ['2.0', '1.1'])).toBe('');
    expect(problems({ ...v1, expirationDate: '2019-01-01T00:00:00Z' }, ['1.1'])).toMatch(/expirationDate: must not be before issuanceDate/);
  });
});

describe('VCDM 2.0 §4.13: the presentation data model', () => {
  const vp = (extra: Record<string, unknown> = {}) => ({ '@context': [V2], type: ['VerifiablePresentation'], ...extra });
  it('accepts a presentation with no holder, no credentials and no proof', () => {
    expect(checkPresentationDataModel(vp())).toEqual([]);
  });
  it('accepts enveloped credentials by type and refuses non-objects', () => {
    expect(checkPresentationDataModel(vp({ verifiableCredential: [{ '@context': V2, type: 'EnvelopedVerifiableCredential', id: 'data:application/vc+jwt,x' }] }))).toEqual([]);
    expect(describeProblems(checkPresentationDataModel(vp({ verifiableCredential: 42 })))).toMatch(/must be a credential object/);
    expect(describeProblems(checkPresentationDataModel(vp({ verifiableCredential: [{ type: ['Other'] }] })))).toMatch(/verifiableCredential\[0\].type/);
  });
});

describe('the dataspace layer above the data model', () => {
  it('asks nothing of credentials that are not its own types', () => {
    expect(checkDataspaceClaims(credential())).toEqual([]);
  });
  it('asks a ParticipantCredential for its legal claims and a DID subject', () => {
    const found = describeProblems(checkDataspaceClaims(credential({ type: ['VerifiableCredential', 'ParticipantCredential'], credentialSubject: { id: 'https://example.org' } })));
    expect(found).toMatch(/credentialSubject.id: must be the holder's DID/);
    expect(found).toMatch(/legalName/);
  });
  it('asks a DataPermitCredential for an end', () => {
    expect(describeProblems(checkDataspaceClaims(credential({ type: ['VerifiableCredential', 'DataPermitCredential'] })))).toMatch(/validUntil: is required/);
  });
});

describe('JSON-LD soundness (safe mode)', () => {
  it('passes a credential whose every term is defined', async () => {
    expect(await checkJsonLd(credential(), offlineDocumentLoader)).toEqual([]);
  });
  it('names an undefined term, a redefined protected term and an unknown context', async () => {
    expect(describeProblems(await checkJsonLd(credential({ nickname: 'Al' }), offlineDocumentLoader))).toMatch(/"nickname"/);
    expect(describeProblems(await checkJsonLd(credential({ '@context': [V2, { VerifiableCredential: 'https://example.org/#Other' }] }), offlineDocumentLoader))).toMatch(
      /protected term redefinition/,
    );
    const unknown = await checkJsonLd(credential({ '@context': [V2, 'https://example.org/v9'] }), offlineDocumentLoader);
    expect(unknown[0]).toMatchObject({ code: 'unknown_context', message: expect.stringContaining('https://example.org/v9') });
  });
});

describe('integrity of related resources', () => {
  const held = digestsOfBytes(new TextEncoder().encode('hello'));
  const digestsOf = (url: string) => (url === 'https://example.org/hello' ? held : undefined);
  const sri = `sha384-${Buffer.from(held.sha384!).toString('base64')}`;
  const multihash = `u${Buffer.concat([Buffer.from([0x12, 0x20]), Buffer.from(held.sha256!)]).toString('base64url')}`;
  it('accepts matching digests (SRI, bare multibase and multihash multibase)', () => {
    const bare = `u${Buffer.from(held.sha256!).toString('base64url')}`;
    expect(checkRelatedResourceDigests({ relatedResource: [{ id: 'https://example.org/hello', digestSRI: sri, digestMultibase: [bare, multihash] }] }, digestsOf)).toEqual([]);
  });
  it('refuses a digest of other bytes and leaves resources it does not hold alone', () => {
    const other = digestsOfBytes(new TextEncoder().encode('hullo'));
    const wrong = `sha256-${Buffer.from(other.sha256!).toString('base64')}`;
    expect(describeProblems(checkRelatedResourceDigests({ relatedResource: { id: 'https://example.org/hello', digestSRI: wrong } }, digestsOf))).toMatch(
      /digestSRI: does not match/,
    );
    expect(checkRelatedResourceDigests({ relatedResource: { id: 'https://example.org/other', digestSRI: wrong } }, digestsOf)).toEqual([]);
  });
});
