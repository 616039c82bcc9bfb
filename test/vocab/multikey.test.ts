import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { base58btcDecode, base58btcEncode, decodeMultikey, encodeMultikey, ED25519_PUBLIC_HEADER, ED25519_SECRET_HEADER } from '../../vocab/multikey.ts';

describe('Multikey encoding', () => {
  it('encodes the did:key test vector of the did:key specification', () => {
    // did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp: 0xed01 + the Ed25519 public key below.
    const key = Buffer.from('3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29', 'hex');
    expect(encodeMultikey(ED25519_PUBLIC_HEADER, key)).toBe('z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp');
  });

  it('round-trips random bytes, leading zeros included', () => {
    for (let i = 0; i < 50; i++) {
      const bytes = Uint8Array.from([...(i % 3 === 0 ? [0, 0] : []), ...randomBytes(i)]);
      expect(base58btcDecode(base58btcEncode(bytes))).toEqual(bytes);
    }
  });

  it('refuses a value with the wrong header, length or alphabet', () => {
    const secret = encodeMultikey(ED25519_SECRET_HEADER, randomBytes(32));
    expect(() => decodeMultikey(secret, ED25519_PUBLIC_HEADER)).toThrow(/header/);
    expect(() => decodeMultikey(`z${base58btcEncode(randomBytes(10))}`, ED25519_PUBLIC_HEADER)).toThrow(/length/);
    expect(() => decodeMultikey('uabc', ED25519_PUBLIC_HEADER)).toThrow(/multibase/);
    expect(() => base58btcDecode('0OIl')).toThrow(/character/);
  });
});
