import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verify } from 'node:crypto';
import { jsonOf } from '../support/http.ts';
import { startTestConnector, tempDir } from '../support/connectors.ts';
import { startFakePeer } from '../support/peer.ts';
import { createDidResolver, DidResolutionError } from '../../connector/identity/did-resolver.ts';
import { didWebDocumentUrl, didWebFromUrl } from '../../connector/identity/did-web.ts';
import { IDENTITY_KEY_FILE } from '../../connector/identity/keys.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { createPublicKey, sign } from 'node:crypto';

async function fakePeer(respond: (path: string) => { status: number; body: string }) {
  const peer = await startFakePeer((request) => respond(request.path));
  return { ...peer, hits: peer.requests };
}

async function resolutionError(promise: Promise<unknown>): Promise<DidResolutionError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DidResolutionError);
  return error as DidResolutionError;
}

describe('did:web identifiers', () => {
  it('percent-encodes the port and maps back to the DID document URL', () => {
    expect(didWebFromUrl('http://127.0.0.1:8701')).toBe('did:web:127.0.0.1%3A8701');
    expect(didWebFromUrl('https://hospital.example.lu')).toBe('did:web:hospital.example.lu');
    expect(didWebFromUrl('https://example.lu/connectors/chl')).toBe('did:web:example.lu:connectors:chl');
    expect(didWebDocumentUrl('did:web:127.0.0.1%3A8701').href).toBe('http://127.0.0.1:8701/.well-known/did.json');
    expect(didWebDocumentUrl('did:web:localhost%3A9000').href).toBe('http://localhost:9000/.well-known/did.json');
    expect(didWebDocumentUrl('did:web:example.lu:connectors:chl').href).toBe('https://example.lu/connectors/chl/did.json');
  });

  it('uses https for every non-loopback host unless insecure http is allowed explicitly', () => {
    expect(didWebDocumentUrl('did:web:hospital.example.lu%3A8443').protocol).toBe('https:');
    expect(didWebDocumentUrl('did:web:10.0.0.5%3A8701').protocol).toBe('https:');
    expect(didWebDocumentUrl('did:web:10.0.0.5%3A8701', { allowInsecureHttp: true }).protocol).toBe('http:');
  });
});

describe('a connector identity', () => {
  it('serves a DID document with a Multikey for authentication and assertions, and DSP and credential services', async () => {
    const connector = await startTestConnector();
    const response = await fetch(`${connector.url}/.well-known/did.json`);
    expect(response.headers.get('content-type')).toContain('application/did+json');
    const doc = await jsonOf(response);
    const keyId = `${connector.did}#key-1`;
    expect(connector.did).toBe(`did:web:127.0.0.1%3A${connector.port}`);
    expect(doc.id).toBe(connector.did);
    expect(doc['@context']).toEqual(['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1']);
    const p256Id = `${connector.did}#key-2`;
    expect(doc.verificationMethod).toEqual([
      { id: keyId, type: 'Multikey', controller: connector.did, publicKeyMultibase: expect.stringMatching(/^z6Mk/) },
      { id: p256Id, type: 'JsonWebKey2020', controller: connector.did, publicKeyJwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) } },
    ]);
    expect(doc.authentication).toEqual([keyId, p256Id]);
    expect(doc.assertionMethod).toEqual([keyId, p256Id]);
    expect(doc.capabilityInvocation).toEqual([keyId, p256Id]);
    expect(doc.service).toEqual(
      expect.arrayContaining([
        { id: `${connector.did}#dsp`, type: 'DataService', serviceEndpoint: `${connector.url}/.well-known/dspace-version` },
        { id: `${connector.did}#credential-service`, type: 'CredentialService', serviceEndpoint: `${connector.url}/dcp` },
      ]),
    );
  });

  it('keeps its key in the data directory with mode 0600, and that key matches the published one', async () => {
    const dataDir = tempDir();
    const connector = await startTestConnector({ dataDir });
    const path = join(dataDir, IDENTITY_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const message = Buffer.from('proof of possession');
    const signature = sign(null, message, connector.ctx.key.privateKey);
    const published = decodeMultikey((connector.ctx.didDocument.verificationMethod[0] as { publicKeyMultibase: string }).publicKeyMultibase, ED25519_PUBLIC_HEADER);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(published).toString('base64url') }, format: 'jwk' });
    expect(verify(null, message, publicKey, signature)).toBe(true);
    expect(JSON.stringify(connector.ctx.key)).not.toContain(JSON.parse(readFileSync(path, 'utf8')).secretKeyMultibase);
  });

  it('keeps the same keys and DID across a restart', async () => {
    const dataDir = tempDir();
    const first = await startTestConnector({ dataDir });
    const before = await jsonOf(await fetch(`${first.url}/.well-known/did.json`));
    const port = first.port;
    await first.close();
    const second = await startTestConnector({ dataDir, port, database: first.ctx.database.dialect === 'postgres' ? first.ctx.config.database : 'sqlite' });
    const after = await jsonOf(await fetch(`${second.url}/.well-known/did.json`));
    expect(second.did).toBe(first.did);
    expect(after).toEqual(before);
    expect(await second.ctx.meta.get('did')).toBe(first.did);
  });
});

describe('DID resolution between connectors', () => {
  it("two connectors on loopback resolve each other's DIDs over HTTP", async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    const institute = await startTestConnector({ role: 'research-institute' });
    const seenByHospital = await hospital.ctx.didResolver.resolve(institute.did);
    const seenByInstitute = await institute.ctx.didResolver.resolve(hospital.did);
    expect(seenByHospital).toEqual(institute.ctx.didDocument);
    expect(seenByInstitute).toEqual(hospital.ctx.didDocument);
    const key = await hospital.ctx.didResolver.dereference(`${institute.did}#key-1`);
    expect(key).toMatchObject({ '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey', controller: institute.did });
    const vm = await institute.ctx.didResolver.verificationMethod(`${hospital.did}#key-1`, 'assertionMethod');
    expect(vm.publicKeyMultibase).toBe(hospital.ctx.key.publicKeyMultibase);
  });

  it('gives a clear error for a DID whose host does not answer', async () => {
    const closed = await fakePeer(() => ({ status: 200, body: '{}' }));
    await closed.close();
    const did = didWebFromUrl(closed.url);
    const error = await resolutionError(createDidResolver().resolve(did));
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`Cannot reach ${closed.url}/.well-known/did.json to resolve ${did}`);
  });

  it('rejects a 404, a non-JSON body, a document for another DID and a malformed key entry', async () => {
    const cases: [string, { status: number; body: string }, string, RegExp][] = [
      ['missing', { status: 404, body: '' }, 'notFound', /answered 404/],
      ['garbage', { status: 200, body: '<html>' }, 'invalidDidDocument', /not valid JSON/],
      ['other', { status: 200, body: JSON.stringify({ id: 'did:web:evil.example' }) }, 'invalidDidDocument', /its id is "did:web:evil.example"/],
      ['badkey', { status: 200, body: '' }, 'invalidDidDocument', /verificationMethod\[0\] has no publicKeyMultibase/],
    ];
    for (const [name, answer, code, message] of cases) {
      const peer = await fakePeer(() => answer);
      const did = didWebFromUrl(peer.url);
      if (name === 'badkey') answer.body = JSON.stringify({ id: did, verificationMethod: [{ id: `${did}#k`, type: 'Multikey', controller: did }] });
      const error = await resolutionError(createDidResolver().resolve(did));
      expect([name, error.code]).toEqual([name, code]);
      expect(error.message).toMatch(message);
      await peer.close();
    }
  });

  it('refuses malformed DIDs and other methods with their own reasons', async () => {
    const resolver = createDidResolver();
    expect((await resolutionError(resolver.resolve('did:web:'))).code).toBe('invalidDid');
    expect((await resolutionError(resolver.resolve('hospital'))).code).toBe('invalidDid');
    expect((await resolutionError(resolver.resolve('did:key:z6Mk'))).code).toBe('invalidDid');
    expect((await resolutionError(resolver.resolve('did:example:x'))).code).toBe('methodNotSupported');
    expect((await resolutionError(resolver.verificationMethod('did:web:127.0.0.1%3A1'))).message).toMatch(/no #fragment/);
  });

  it('caches a resolved document for its TTL, then fetches it again', async () => {
    let did = '';
    const peer = await fakePeer(() => ({ status: 200, body: JSON.stringify({ id: did, verificationMethod: [] }) }));
    did = didWebFromUrl(peer.url);
    let now = 1_000_000;
    const resolver = createDidResolver({ ttlMs: 60_000, now: () => now });
    await resolver.resolve(did);
    await resolver.resolve(did);
    expect(peer.hits).toHaveLength(1);
    now += 61_000;
    await resolver.resolve(did);
    expect(peer.hits).toHaveLength(2);
    await peer.close();
  });

  it('does not cache failures, so a peer that comes back is seen at once', async () => {
    let up = false;
    let did = '';
    const peer = await fakePeer(() => (up ? { status: 200, body: JSON.stringify({ id: did }) } : { status: 503, body: '' }));
    did = didWebFromUrl(peer.url);
    const resolver = createDidResolver({ ttlMs: 60_000 });
    expect((await resolutionError(resolver.resolve(did))).code).toBe('unreachable');
    up = true;
    expect((await resolver.resolve(did)).id).toBe(did);
    await peer.close();
  });
});
