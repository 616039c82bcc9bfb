import { describe, expect, it } from 'vitest';
import { createDidResolver, DidResolutionError } from '../../../connector/identity/did-resolver.ts';
import { generateDidKey, isKeyDid } from '../../../connector/identity/did-key.ts';

const resolver = createDidResolver();
// did:key v0.7 §"Ed25519": the example DID, its key is the method-specific identifier itself.
const EXAMPLE = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

describe('did:key (Ed25519 Multikey), resolved without network', () => {
  it('derives the DID document from the DID: one Multikey method for every relationship', async () => {
    const doc = await resolver.resolve(EXAMPLE);
    const id = `${EXAMPLE}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK`;
    expect(doc).toMatchObject({
      id: EXAMPLE,
      verificationMethod: [{ id, type: 'Multikey', controller: EXAMPLE, publicKeyMultibase: 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' }],
    });
    for (const relationship of ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation'] as const) expect(doc[relationship]).toEqual([id]);
  });

  it('dereferences the verification method with the Multikey context, as the proof libraries need', async () => {
    const method = await resolver.dereference(`${EXAMPLE}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK`);
    expect(method).toMatchObject({ '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey' });
    expect((await resolver.verificationMethod(`${EXAMPLE}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK`, 'assertionMethod')).controller).toBe(EXAMPLE);
  });

  it('derives a P-256 did:key (zDn…) as one Multikey method, as ES256 JWTs use it (the W3C suite’s fixture key)', async () => {
    const p256 = 'did:key:zDnaeTQKDbXQT4batxKcnMQYQ8JynjqC5Xz1uMk5euG2ht8nq';
    const doc = await resolver.resolve(p256);
    expect(doc.verificationMethod).toEqual([
      {
        id: `${p256}#zDnaeTQKDbXQT4batxKcnMQYQ8JynjqC5Xz1uMk5euG2ht8nq`,
        type: 'Multikey',
        controller: p256,
        publicKeyMultibase: 'zDnaeTQKDbXQT4batxKcnMQYQ8JynjqC5Xz1uMk5euG2ht8nq',
      },
    ]);
    await expect(resolver.resolve('did:key:zDnaeTQKDbXQT4batxKcnMQYQ8Jyn')).rejects.toMatchObject({ code: 'invalidDid' });
  });

  it('refuses malformed did:key values and other key types with invalidDid', async () => {
    for (const did of ['did:key:z6Mk', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme', 'did:key:abc']) {
      const error = await resolver.resolve(did).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DidResolutionError);
      expect((error as DidResolutionError).code).toBe('invalidDid');
    }
  });

  it('generates fresh did:key identities whose documents resolve', async () => {
    const key = generateDidKey();
    expect(isKeyDid(key.did)).toBe(true);
    expect((await resolver.resolve(key.did)).verificationMethod?.[0]?.publicKeyMultibase).toBe(key.publicKeyMultibase);
  });
});

describe('did:jwk, resolved without network', () => {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'lDBjwSTt7Wz8pdwk1HlRbLzm1_YBIWuN-K0-R-5DmGU' };
  const did = `did:jwk:${Buffer.from(JSON.stringify(jwk)).toString('base64url')}`;

  it('makes the JWK the single verification method, #0', async () => {
    const doc = await resolver.resolve(did);
    expect(doc.verificationMethod).toEqual([{ id: `${did}#0`, type: 'JsonWebKey', controller: did, publicKeyJwk: jwk }]);
    expect(doc.assertionMethod).toEqual([`${did}#0`]);
    expect(doc.keyAgreement).toBeUndefined();
  });

  it('refuses a private key and a value that is not a JWK', async () => {
    const leaky = `did:jwk:${Buffer.from(JSON.stringify({ ...jwk, d: 'secret' })).toString('base64url')}`;
    expect(((await resolver.resolve(leaky).catch((e) => e)) as DidResolutionError).message).toMatch(/private key/);
    expect(((await resolver.resolve('did:jwk:not-json').catch((e) => e)) as DidResolutionError).code).toBe('invalidDid');
  });
});
