import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createIdToken, signJwt, type TokenError, verifyIdToken } from '../../../contracts/credentials/id-token.ts';
import { publicKeyFromJwk, publicKeyFromMultikey, publicKeyOfMethod } from '../../../contracts/credentials/jose-keys.ts';
import { parseJsonPath, parsePresentationDefinition, PresentationDefinitionError, selectByDefinition } from '../../../contracts/credentials/presentation-definition.ts';
import { base58btcEncode } from '../../../vocab/multikey.ts';
import { decodeJwtCredential } from '../../../contracts/credentials/jwt-credentials.ts';
import { checkCredentialDataModel } from '../../../contracts/credentials/data-model.ts';

/** A P-256 public key as a Multikey (`zDn…`): multicodec 0x1200 and the compressed point. */
function p256Multikey(jwk: { x?: string; y?: string }): string {
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return `z${base58btcEncode(Buffer.concat([Buffer.from([0x80, 0x24, (y.at(-1)! & 1) === 1 ? 0x03 : 0x02]), x]))}`;
}

describe('verification method keys (Multikey, JsonWebKey2020)', () => {
  it('reads Ed25519 and P-256 keys as Multikey or publicKeyJwk, each with the one algorithm it signs', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const multikey = publicKeyFromMultikey(p256Multikey(ec));
    expect(multikey.algorithm).toBe('ES256');
    expect(multikey.key.export({ format: 'jwk' })).toMatchObject({ x: ec.x, y: ec.y });
    expect(publicKeyFromJwk(ec as Record<string, unknown>).algorithm).toBe('ES256');
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    expect(publicKeyOfMethod({ type: 'JsonWebKey2020', publicKeyJwk: ed }).algorithm).toBe('EdDSA');
    expect(publicKeyFromJwk(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>).algorithm).toBe('ES384');
  });

  it('refuses a private JWK, an RSA key, and a method without key material', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => publicKeyFromJwk(privateKey.export({ format: 'jwk' }) as Record<string, unknown>)).toThrow(/private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    expect(() => publicKeyFromJwk(rsa as Record<string, unknown>)).toThrow(/not supported/);
    expect(() => publicKeyOfMethod({ id: 'did:x#1', type: 'Multikey' })).toThrow(/neither/);
  });
});

describe('self-issued ID tokens signed ES256 (DCP 1.0 §4.3)', () => {
  const caller = 'did:web:caller.example';
  const callee = 'did:web:callee.example';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const verify = (token: string) => verifyIdToken(token, { audience: callee, resolveKey: async () => publicKey });
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: TokenError) => error.code,
    );

  it('accepts a token from jose (as the TCK signs them) living 600 s, and one of our own', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tck = await new SignJWT({ iss: caller, sub: caller, aud: callee, jti: 'j1', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'ES256', kid: `${caller}#k` })
      .sign(privateKey);
    await expect(verify(tck)).resolves.toMatchObject({ iss: caller });
    await expect(verify(await createIdToken({ issuer: caller, keyId: `${caller}#k`, privateKey, audience: callee }))).resolves.toMatchObject({ aud: callee });
  });

  it('refuses a token whose header claims another algorithm than its key signs', async () => {
    const ed = generateKeyPairSync('ed25519');
    const now = Math.floor(Date.now() / 1000);
    const token = await signJwt({ iss: caller, sub: caller, aud: callee, jti: 'j2', iat: now, exp: now + 60 }, `${caller}#k`, ed.privateKey);
    expect(await code(verify(token))).toBe('wrong_algorithm');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await code(verify(`${none}x`))).toBe('wrong_algorithm');
  });
});

describe('presentation definitions (the DIF Presentation Exchange subset DCP peers send)', () => {
  const credential = (type: string, subject: Record<string, unknown> = {}) => ({ type: ['VerifiableCredential', type], credentialSubject: { id: 'did:web:h', ...subject } });
  const pick = (definition: unknown, ...credentials: Record<string, unknown>[]) =>
    selectByDefinition(
      parsePresentationDefinition(definition),
      credentials.map((c, i) => ({ credential: c, item: i })),
    );
  const by = (path: string, filter: Record<string, unknown>) => ({ id: 'd', input_descriptors: [{ id: 'a', constraints: { fields: [{ path: [path], filter }] } }] });

  it('matches a string filter on an array of types by pattern, as the DCP TCK queries', () => {
    expect(pick(by('$.type', { type: 'string', pattern: 'MembershipCredential' }), credential('MembershipCredential'), credential('Other'))).toEqual([0]);
  });

  it('matches const, enum and contains, paths in brackets and under $.vc', () => {
    const member = credential('MembershipCredential', { level: 'gold' });
    expect(pick(by('$.credentialSubject.level', { const: 'gold' }), member, credential('X', { level: 'silver' }))).toEqual([0]);
    expect(pick(by("$['credentialSubject']['level']", { enum: ['silver', 'gold'] }), member)).toEqual([0]);
    expect(pick(by('$.vc.type', { type: 'array', contains: { const: 'MembershipCredential' } }), member)).toEqual([0]);
    expect(pick(by('$.credentialSubject.missing', {}), member)).toEqual([]);
  });

  it('refuses an empty definition, unsupported paths and features, and dangerous patterns', () => {
    for (const bad of [
      {},
      { id: 'x', input_descriptors: [] },
      by('credentialSubject..x', {}),
      { ...by('$.type', {}), submission_requirements: [] },
      by('$.type', { pattern: '(a+)+$' }),
    ]) {
      expect(() => pick(bad, credential('X'))).toThrow(PresentationDefinitionError);
    }
    expect(parseJsonPath('$.a[0].b')).toEqual(['a', 0, 'b']);
  });
});

describe('VC-JWT 1.1 credentials as EDC and the DCP TCK issue them', () => {
  it('reads a bare UUID in vc.id, jti and a status entry id as its urn:uuid URI', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = crypto.randomUUID();
    const vc = {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      id,
      type: ['VerifiableCredential', 'MembershipCredential'],
      issuer: 'did:web:issuer.example',
      issuanceDate: new Date().toISOString(),
      credentialSubject: { id: 'did:web:holder.example', foo: 'bar' },
      credentialStatus: { id: 'a1b2c3d4-0000-4000-8000-000000000001', type: 'BitstringStatusListEntry', statusListIndex: '1' },
    };
    const jwt = await new SignJWT({ iss: 'did:web:issuer.example', sub: 'did:web:holder.example', jti: id, vc })
      .setProtectedHeader({ alg: 'ES256', kid: 'did:web:issuer.example#k' })
      .sign(privateKey);
    const credential = decodeJwtCredential(jwt)!;
    expect(credential.id).toBe(`urn:uuid:${id}`);
    expect(credential.credentialStatus).toEqual([expect.objectContaining({ id: 'urn:uuid:a1b2c3d4-0000-4000-8000-000000000001' })]);
    expect(checkCredentialDataModel(credential, { versions: ['1.1'] })).toEqual([]);
  });
});
