import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeBitstring,
  emptyBitstring,
  encodeBitstring,
  getBit,
  isStatusSet,
  setBit,
  statusEntry,
  statusListCredential,
  MIN_STATUS_LIST_LENGTH,
} from '../../contracts/credentials/status-list.ts';
import { createIdToken, signJwt, TokenError, verifyIdToken } from '../../contracts/credentials/id-token.ts';
import { credentialDigest, ProofCache } from '../../contracts/credentials/verifier.ts';
import { isDateTimeStamp } from '../../contracts/credentials/data-model.ts';

describe('Bitstring Status List', () => {
  it('has at least 131,072 entries and round-trips through GZIP + multibase base64url', () => {
    const bits = emptyBitstring();
    expect(bits.length * 8).toBe(MIN_STATUS_LIST_LENGTH);
    setBit(bits, 0, true);
    setBit(bits, 9, true);
    setBit(bits, MIN_STATUS_LIST_LENGTH - 1, true);
    const encoded = encodeBitstring(bits);
    expect(encoded.startsWith('u')).toBe(true);
    const decoded = decodeBitstring(encoded);
    expect([0, 1, 8, 9, MIN_STATUS_LIST_LENGTH - 1].map((i) => getBit(decoded, i))).toEqual([true, false, false, true, true]);
    expect(decoded[0]).toBe(0x80); // index 0 is the most significant bit of the first byte
  });

  it('refuses indexes outside the list and lists that are not GZIP', () => {
    expect(() => setBit(emptyBitstring(), MIN_STATUS_LIST_LENGTH, true)).toThrow(/outside/);
    expect(() => decodeBitstring('uAAAA')).toThrow(/GZIP/);
    expect(() => decodeBitstring('zabc')).toThrow(/base64url/);
  });

  it('reads an entry only from the list it names, for its purpose', () => {
    const url = 'https://authority.example/status/revocation-0001';
    const bits = emptyBitstring();
    setBit(bits, 42, true);
    const list = statusListCredential({ url, issuer: 'did:web:authority.example', purpose: 'revocation', bits });
    expect(isStatusSet(list, statusEntry(url, 42))).toBe(true);
    expect(isStatusSet(list, statusEntry(url, 43))).toBe(false);
    expect(() => isStatusSet(list, statusEntry('https://other.example/status/1', 42))).toThrow(/is not/);
    expect(() => isStatusSet(list, statusEntry(url, 42, 'suspension'))).toThrow(/is for "revocation"/);
  });
});

describe('self-issued ID tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const caller = 'did:web:caller.example';
  const callee = 'did:web:callee.example';
  const keyId = `${caller}#key-1`;
  const resolveKey = async (kid: string) => {
    if (kid !== keyId) throw new Error('unknown');
    return publicKey;
  };
  const seen = new Set<string>();
  const rememberTokenId = async (jti: string) => {
    if (seen.has(jti)) return false;
    seen.add(jti);
    return true;
  };
  const verify = async (token: string | Promise<string>, extra: object = {}) => verifyIdToken(await token, { audience: callee, resolveKey, rememberTokenId, ...extra });
  const code = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(TokenError);
      return (error as TokenError).code;
    }
  };

  it('accepts a fresh token for this audience once, with its access token', async () => {
    const token = await createIdToken({ issuer: caller, keyId, privateKey, audience: callee, accessToken: 'at' });
    const claims = await verify(token);
    expect(claims).toMatchObject({ iss: caller, sub: caller, aud: callee, token: 'at' });
    expect(await code(verify(token))).toBe('replayed');
  });

  it('refuses each fault with its own reason', async () => {
    const now = Date.now();
    expect(await code(verify(createIdToken({ issuer: caller, keyId, privateKey, audience: 'did:web:someone.else' })))).toBe('wrong_audience');
    expect(await code(verify(createIdToken({ issuer: caller, keyId, privateKey: other.privateKey, audience: callee })))).toBe('bad_signature');
    expect(await code(verify(createIdToken({ issuer: caller, keyId, privateKey, audience: callee, now: now - 600_000 })))).toBe('expired');
    expect(await code(verify(createIdToken({ issuer: caller, keyId, privateKey, audience: callee, now: now + 600_000 })))).toBe('not_yet_valid');
    expect(await code(verify(createIdToken({ issuer: caller, keyId, privateKey, audience: callee, lifetimeS: 3600 })))).toBe('too_long_lived');
    expect(await code(verify(createIdToken({ issuer: caller, keyId: 'did:web:evil.example#key-1', privateKey, audience: callee })))).toBe('unknown_key');
    const iat = Math.floor(now / 1000);
    expect(await code(verify(signJwt({ iss: caller, sub: 'did:web:victim.example', aud: callee, iat, exp: iat + 60, jti: 'x1' }, keyId, privateKey)))).toBe('subject_mismatch');
    expect(await code(verify('not.a.jwt'))).toBe('malformed');
    expect(await code(verify('abc'))).toBe('malformed');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: keyId })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: caller })).toString('base64url')}.`;
    expect(await code(verify(none))).toBe('wrong_algorithm');
  });
});

describe('proof cache', () => {
  it('keys credentials by a digest that ignores property order', () => {
    expect(credentialDigest({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(credentialDigest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(credentialDigest({ a: 1 })).not.toBe(credentialDigest({ a: 2 }));
  });

  it('forgets entries after their time and beyond its size', () => {
    const cache = new ProofCache({ maxEntries: 2, ttlMs: 1000 });
    cache.add('a', 0);
    expect(cache.has('a', 500)).toBe(true);
    expect(cache.has('a', 1500)).toBe(false);
    cache.add('b', 0);
    cache.add('c', 0);
    cache.add('d', 0);
    expect(cache.has('b', 0)).toBe(false);
    expect(cache.has('d', 0)).toBe(true);
  });
});

describe('dateTimeStamp', () => {
  it('requires a time zone and a real date', () => {
    expect(isDateTimeStamp('2026-01-01T00:00:00Z')).toBe(true);
    expect(isDateTimeStamp('2026-01-01T00:00:00.123+01:00')).toBe(true);
    expect(isDateTimeStamp('2026-01-01T00:00:00')).toBe(false);
    expect(isDateTimeStamp('2026-02-30')).toBe(false);
    expect(isDateTimeStamp(20260101)).toBe(false);
  });
});
