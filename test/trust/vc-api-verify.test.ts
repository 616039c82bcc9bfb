import * as vc from '@digitalbazaar/vc';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { generateDidKey } from '../../connector/identity/did-key.ts';
import { createProofSigner, signPresentation, type ProofSigner } from '../../contracts/credentials/proofs.ts';
import type { RunningConnector } from '../../connector/server.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const V1 = 'https://www.w3.org/2018/credentials/v1';
const DATA_INTEGRITY = 'https://w3id.org/security/data-integrity/v2';
const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';

let authority: RunningConnector;
let holder: { did: string; signer: ProofSigner };
const post = async (path: string, body: unknown) => {
  const response = await fetch(`${authority.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await jsonOf(response) };
};
const verify = (verifiableCredential: unknown, options?: unknown) => post('/credentials/verify', { verifiableCredential, ...(options ? { options } : {}) });
const verifyVp = (verifiablePresentation: unknown, options?: unknown) => post('/presentations/verify', { verifiablePresentation, ...(options ? { options } : {}) });
const issued = async (options?: unknown, credential: Record<string, unknown> = {}) => {
  const response = await fetch(`${authority.url}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      credential: { '@context': [V2, EXAMPLES], type: ['VerifiableCredential'], credentialSubject: { id: holder.did, degree: 'MSc' }, ...credential },
      ...(options ? { options } : {}),
    }),
  });
  return (await jsonOf(response)).verifiableCredential;
};
/** A credential signed by `signer` itself (a did:key issuer the authority does not trust). */
const selfIssued = (signer: ProofSigner, credential: Record<string, unknown>) =>
  vc.issue({ credential: { issuer: signer.controller, ...credential }, suite: signer.suite(), documentLoader: authority.ctx.documentLoader });

beforeAll(async () => {
  // Status lists are re-read on every verification, so a revocation shows at once.
  authority = await startTestConnector({ role: 'governance-authority', statusListCacheTtlSeconds: 0 });
  const key = generateDidKey();
  holder = { did: key.did, signer: await createProofSigner(key) };
});

describe('VC-API POST /credentials/verify', () => {
  for (const cryptosuite of ['eddsa-rdfc-2022', 'eddsa-jcs-2022']) {
    it(`verifies what the authority itself issued with ${cryptosuite} (it trusts itself)`, async () => {
      const credential = await issued({ cryptosuite });
      const { status, body } = await verify(credential, { checks: ['proof', 'issuer', 'validity', 'status'] });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ verified: true, checks: ['proof', 'issuer', 'validity', 'status'], errors: [] });
      expect((await verify(credential)).body).toMatchObject({ verified: true, checks: ['proof', 'validity', 'status'], warnings: [], errors: [] });
    });

    it(`detects a tampered claim in a ${cryptosuite} credential`, async () => {
      const credential = await issued({ cryptosuite });
      credential.credentialSubject.degree = 'PhD';
      const { status, body } = await verify(credential);
      expect(status).toBe(400);
      expect(body.errors[0].code).toBe('invalid_proof');
    });
  }

  it("verifies any issuer's sound credential, warning that its issuer is not trusted; refuses it when the issuer check is asked for", async () => {
    const credential = await selfIssued(holder.signer, { '@context': [V2], type: ['VerifiableCredential'], credentialSubject: { id: holder.did } });
    const standard = await verify(credential);
    expect(standard.status, JSON.stringify(standard.body)).toBe(200);
    expect(standard.body.checks).toEqual(['proof', 'validity', 'status']);
    expect(standard.body.warnings[0].message).toMatch(/^not checked: .* is not a trusted issuer of VerifiableCredential/);
    expect((await verify(credential, { checks: ['proof', 'issuer'] })).body.errors[0].code).toBe('untrusted_issuer');
    const { status, body } = await verify(credential, { checks: ['proof'] });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.checks).toEqual(['proof']);
  });

  it('resolves did:key verification methods without any network', async () => {
    const credential = await selfIssued(holder.signer, { '@context': [V2], type: ['VerifiableCredential'], credentialSubject: { id: holder.did } });
    expect(credential.proof.verificationMethod).toBe(`${holder.did}#${holder.did.slice('did:key:'.length)}`);
    expect((await verify(credential, { checks: ['proof'] })).status).toBe(200);
  });

  it('verifies a VCDM 1.1 credential (issuanceDate, Data Integrity proof) and detects tampering', async () => {
    const credential = await selfIssued(holder.signer, {
      '@context': [V1, DATA_INTEGRITY],
      type: ['VerifiableCredential'],
      issuanceDate: '2024-01-01T00:00:00Z',
      credentialSubject: { id: 'did:example:alice' },
    });
    expect((await verify(credential, { checks: ['proof', 'validity'] })).status).toBe(200);
    expect((await verify({ ...credential, issuanceDate: '2024-01-02T00:00:00Z' }, { checks: ['proof'] })).body.errors[0].code).toBe('invalid_proof');
  });

  it('refuses an expired VCDM 1.1 credential', async () => {
    const credential = await selfIssued(holder.signer, {
      '@context': [V1, DATA_INTEGRITY],
      type: ['VerifiableCredential'],
      issuanceDate: '2020-01-01T00:00:00Z',
      expirationDate: '2021-01-01T00:00:00Z',
      credentialSubject: { id: 'did:example:alice' },
    });
    expect((await verify(credential, { checks: ['validity'] })).body.errors[0].code).toBe('expired');
  });

  it('refuses a VCDM 1.1 credential without issuanceDate', async () => {
    const { status, body } = await verify({ '@context': [V1], type: ['VerifiableCredential'], issuer: holder.did, credentialSubject: { id: 'did:example:alice' } });
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'malformed', message: expect.stringMatching(/issuanceDate: is required/) });
  });

  it('refuses a non-conforming document, saying why', async () => {
    const { status, body } = await verify({ type: ['NonconformingDocument'] });
    expect(status).toBe(400);
    expect(body.errors[0].message).toMatch(/@context: must be an array.*type: must include "VerifiableCredential"/);
  });

  it('refuses undefined terms in a JCS credential, which its proof alone would not notice', async () => {
    const credential = await issued({ cryptosuite: 'eddsa-jcs-2022' });
    credential['@context'] = [V2];
    const { status, body } = await verify(credential);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'malformed', message: expect.stringMatching(/degree/) });
  });

  it('refuses a context it does not hold with unknown_context, naming the URL', async () => {
    const credential = await issued();
    credential['@context'].push('https://example.org/never-bundled/v1');
    const { body } = await verify(credential);
    expect(body.errors[0]).toMatchObject({ code: 'unknown_context', message: expect.stringContaining('https://example.org/never-bundled/v1') });
  });

  it('refuses a related resource whose digest does not match', async () => {
    const credential = await issued();
    const { body } = await verify({ ...credential, relatedResource: [{ id: V2, digestMultibase: `u${Buffer.alloc(32).toString('base64url')}` }] });
    expect(body.errors[0].message).toMatch(/relatedResource\[0\].digestMultibase: does not match/);
  });
});

describe('VC-API: credentialSchema (VCDM 2.0 §4.11)', () => {
  // A schema server on loopback: /degree.json requires a degree of the subject; anything else is missing.
  let schemas: Server;
  let base = '';
  beforeAll(async () => {
    const degree = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['degree'], properties: { degree: { enum: ['MSc'] } } };
    schemas = createServer((req, res) =>
      req.url === '/degree.json' ? res.writeHead(200, { 'content-type': 'application/schema+json' }).end(JSON.stringify(degree)) : res.writeHead(404).end(),
    );
    await new Promise<void>((resolve) => schemas.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(schemas.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => schemas.close(resolve)));
  const withSchema = (path: string) => issued(undefined, { credentialSchema: { id: `${base}${path}`, type: 'JsonSchemaValidator2018' } });

  it('verifies a credential whose schema cannot be fetched, with a warning; refuses it when the schema check is asked for', async () => {
    const credential = await withSchema('/missing.json');
    const standard = await verify(credential);
    expect(standard.status, JSON.stringify(standard.body)).toBe(200);
    expect(standard.body.warnings.map((w: { message: string }) => w.message)).toEqual([expect.stringMatching(/^not checked: cannot check its schema: .*answered 404/)]);
    const asked = await verify(credential, { checks: ['proof', 'validity', 'status', 'schema'] });
    expect(asked.status).toBe(400);
    expect(asked.body.errors[0]).toMatchObject({ code: 'schema_unavailable', credentialId: credential.id });
    const presented = await verifyVp({ '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: [credential] });
    expect(presented.status, JSON.stringify(presented.body)).toBe(200);
    expect(presented.body.warnings.map((w: { message: string }) => w.message)).toContainEqual(expect.stringMatching(/^not checked: cannot check its schema/));
  });

  it('checks a schema it can fetch, and refuses a credential that violates it whatever the checks', async () => {
    expect((await verify(await withSchema('/degree.json'), { checks: ['proof', 'schema'] })).body).toMatchObject({ verified: true, warnings: [] });
    const violating = await issued(undefined, {
      credentialSubject: { id: holder.did, degree: 'PhD' },
      credentialSchema: { id: `${base}/degree.json`, type: 'JsonSchemaValidator2018' },
    });
    const { status, body } = await verify(violating);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'invalid_schema', message: expect.stringMatching(/violates its schema/) });
  });
});

describe('VC-API POST /presentations/verify', () => {
  const challenge = 'challenge-1';
  const domain = 'verifier.example';
  const presentation = (credentials: object[] = [], cryptosuite?: 'eddsa-jcs-2022') =>
    signPresentation({
      credentials: credentials as never,
      signer: holder.signer,
      challenge,
      domain,
      documentLoader: authority.ctx.documentLoader,
      ...(cryptosuite ? { cryptosuite } : {}),
    });

  it('verifies a presentation signed by its holder, for the challenge and domain', async () => {
    const { status, body } = await verifyVp(await presentation([await issued()]), { challenge, domain });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.verified).toBe(true);
  });

  it('verifies an eddsa-jcs-2022 presentation', async () => {
    expect((await verifyVp(await presentation([await issued({ cryptosuite: 'eddsa-jcs-2022' })], 'eddsa-jcs-2022'), { challenge, domain })).status).toBe(200);
  });

  it('refuses another challenge or another domain', async () => {
    const vp = await presentation();
    expect((await verifyVp(vp, { challenge: 'other', domain })).body.errors[0].code).toBe('invalid_proof');
    expect((await verifyVp(vp, { challenge, domain: 'other.example' })).body.errors[0].code).toBe('invalid_proof');
  });

  it('needs a challenge to verify a signed presentation', async () => {
    const { status, body } = await verifyVp(await presentation(), { domain });
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toMatch(/options.challenge is required/);
  });

  it('refuses a tampered presentation proof', async () => {
    const vp = await presentation();
    vp.proof = { ...(vp.proof as object), proofValue: 'z5nmMBw2u9TGKd9NxxHJtyZKgjN2Eh' } as never;
    expect((await verifyVp(vp, { challenge, domain })).status).toBe(400);
  });

  it('accepts a holder given as an object, and refuses a holder that did not sign', async () => {
    const vp = await presentation();
    // An object with the same id is the same statement in RDF, so the RDFC proof still holds.
    expect((await verifyVp({ ...vp, holder: { id: holder.did } }, { challenge, domain })).status).toBe(200);
    const other = generateDidKey();
    const signed = await signPresentation({ credentials: [], signer: await createProofSigner(other), challenge, domain, documentLoader: authority.ctx.documentLoader });
    const { body } = await verifyVp({ ...signed, holder: holder.did }, { challenge, domain });
    expect(body.errors[0].code).toBe('wrong_holder');
  });

  it('verifies an unsigned presentation without a holder, with a warning that nobody is authenticated', async () => {
    const { status, body } = await verifyVp({ '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: [await issued()] });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.warnings[0].message).toMatch(/no proof/);
  });

  it("checks the credentials inside, but not their issuer's trust unless asked", async () => {
    const foreign = await selfIssued(holder.signer, { '@context': [V2], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:bob' } });
    const vp = await presentation([foreign]);
    expect((await verifyVp(vp, { challenge, domain })).status).toBe(200);
    expect((await verifyVp(vp, { challenge, domain, checks: ['proof', 'issuer'] })).body.errors[0].code).toBe('untrusted_issuer');
    const tampered = { ...foreign, credentialSubject: { id: 'did:example:mallory' } };
    expect((await verifyVp({ '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: [tampered] })).body.errors[0].code).toBe('invalid_proof');
  });

  const malformed: [string, object, RegExp][] = [
    ['no @context', { type: ['VerifiablePresentation'] }, /@context: must be an array/],
    ['contexts in the wrong order', { '@context': [EXAMPLES, V2], type: ['VerifiablePresentation'] }, /@context\[0\]/],
    ['no type', { '@context': [V2] }, /type: is missing/],
    ['a type without VerifiablePresentation', { '@context': [V2], type: ['ExamplePresentation'] }, /type: must include "VerifiablePresentation"/],
    [
      'a credential given as a string',
      { '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: ['https://example.org/credentials/1'] },
      /verifiableCredential\[0\]: must be a credential object/,
    ],
    ['a holder that is not a URL', { '@context': [V2], type: ['VerifiablePresentation'], holder: { name: 'Alice' } }, /holder.id: must be a URL/],
    ['a term no context defines', { '@context': [V2], type: ['VerifiablePresentation'], nickname: 'Al' }, /nickname/],
  ];
  for (const [what, vp, reason] of malformed) {
    it(`refuses a presentation with ${what}`, async () => {
      const { status, body } = await verifyVp(vp, { challenge });
      expect(status).toBe(400);
      expect(body.errors[0]).toMatchObject({ code: 'malformed', message: expect.stringMatching(reason) });
    });
  }
});

describe('VC-JOSE: credentials secured as application/vc+jwt (EdDSA), enveloped', () => {
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  const jwsOf = (envelope: { id: string }) => envelope.id.slice('data:application/vc+jwt,'.length);

  it('issues an EnvelopedVerifiableCredential whose data: URL holds a JWS of the credential', async () => {
    const envelope = await issued({ envelope: 'application/vc+jwt' });
    expect(envelope).toMatchObject({ '@context': [V2], type: ['EnvelopedVerifiableCredential'], id: expect.stringMatching(/^data:application\/vc\+jwt,[\w-]+\.[\w-]+\.[\w-]+$/) });
    const [header, payload] = jwsOf(envelope).split('.') as [string, string];
    expect(decode(header)).toEqual({ alg: 'EdDSA', kid: `${authority.did}#key-1`, typ: 'vc+jwt', cty: 'vc' });
    expect(decode(payload)).toMatchObject({ issuer: authority.did, credentialSubject: { id: holder.did, degree: 'MSc' }, credentialStatus: { type: 'BitstringStatusListEntry' } });
    expect(decode(payload).proof).toBeUndefined();
  });

  it('verifies it, and refuses it once revoked', async () => {
    const envelope = await issued({ envelope: 'application/vc+jwt' });
    expect((await verify(envelope)).status).toBe(200);
    const { id } = decode(jwsOf(envelope).split('.')[1]!);
    const revoke = await fetch(`${authority.url}/api/credentials/${encodeURIComponent(id)}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    });
    expect(revoke.status).toBe(200);
    expect((await verify(envelope)).body.errors[0].code).toBe('revoked');
  });

  it('refuses a changed payload, a missing data: URL, a missing context and a wrong type', async () => {
    const envelope = await issued({ envelope: 'application/vc+jwt' });
    const [h, p, s] = jwsOf(envelope).split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...decode(p), credentialSubject: { id: holder.did, degree: 'PhD' } })).toString('base64url');
    expect((await verify({ ...envelope, id: `data:application/vc+jwt,${h}.${forged}.${s}` })).body.errors[0].code).toBe('invalid_proof');
    expect((await verify({ ...envelope, id: `${h}.${p}.${s}` })).body.errors[0].message).toMatch(/data: URL/);
    expect((await verify({ ...envelope, '@context': [] })).status).toBe(400);
    expect((await verify({ ...envelope, type: 'VerifiableCredential' })).status).toBe(400);
  });

  it('verifies an enveloped credential inside a presentation', async () => {
    const envelope = await issued({ envelope: 'application/vc+jwt' });
    const vp = await signPresentation({
      credentials: [envelope],
      signer: holder.signer,
      challenge: 'c-jose',
      domain: 'verifier.example',
      documentLoader: authority.ctx.documentLoader,
    });
    const { status, body } = await verifyVp(vp, { challenge: 'c-jose', domain: 'verifier.example' });
    expect(status, JSON.stringify(body)).toBe(200);
  });
});
