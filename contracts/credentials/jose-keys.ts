import { createPublicKey, type KeyObject } from 'node:crypto';
import { base58btcDecode } from '../../vocab/multikey.ts';

/**
 * The JOSE algorithms this connector signs and verifies JWTs with (RFC 7518 / RFC 8037), and the public
 * key of a DID verification method in any of the forms DCP peers publish: Multikey (Ed25519 `z6Mk…`,
 * P-256 `zDn…`, P-384 `z82…`), or JsonWebKey2020 / JsonWebKey with a `publicKeyJwk` (OKP Ed25519, EC P-256,
 * P-384). Which algorithm a key may verify follows from the key, never from the token's header.
 */
export const JOSE_ALGORITHMS = ['EdDSA', 'ES256', 'ES384'] as const;
export type JoseAlgorithm = (typeof JOSE_ALGORITHMS)[number];

export interface PublicVerificationKey {
  key: KeyObject;
  algorithm: JoseAlgorithm;
}

/** Multicodec headers (varint) of the public keys a Multikey may carry. */
const MULTICODEC: { header: [number, number]; kind: 'ed25519' | 'P-256' | 'P-384'; length: number }[] = [
  { header: [0xed, 0x01], kind: 'ed25519', length: 32 },
  { header: [0x80, 0x24], kind: 'P-256', length: 33 },
  { header: [0x81, 0x24], kind: 'P-384', length: 49 },
];

/** DER SubjectPublicKeyInfo prefixes for compressed EC points (OpenSSL decompresses them). */
const SPKI_PREFIX = {
  'P-256': '3039301306072a8648ce3d020106082a8648ce3d030107032200',
  'P-384': '3046301006072a8648ce3d020106052b81040022033200',
} as const;

/** The algorithm a public key verifies, or undefined for a key type JOSE does not sign with here. */
export function algorithmOfKey(key: KeyObject): JoseAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : undefined;
}

function withAlgorithm(key: KeyObject): PublicVerificationKey {
  const algorithm = algorithmOfKey(key);
  if (!algorithm) throw new Error(`keys of type ${key.asymmetricKeyType} are not supported (Ed25519, P-256, P-384)`);
  return { key, algorithm };
}

/** A public JWK (no private part) as a key object. */
export function publicKeyFromJwk(jwk: Record<string, unknown>): PublicVerificationKey {
  if ('d' in jwk) throw new Error('the publicKeyJwk holds a private key');
  const okp = jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  const ec = jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384');
  if (!okp && !ec) throw new Error(`publicKeyJwk kty ${String(jwk.kty)} crv ${String(jwk.crv)} is not supported (OKP Ed25519, EC P-256, EC P-384)`);
  return withAlgorithm(createPublicKey({ key: jwk as never, format: 'jwk' }));
}

/** A Multikey `publicKeyMultibase` (base58btc, multicodec header) as a key object. */
export function publicKeyFromMultikey(multibase: string): PublicVerificationKey {
  if (!multibase.startsWith('z')) throw new Error('publicKeyMultibase must be base58btc ("z…")');
  const bytes = base58btcDecode(multibase.slice(1));
  const codec = MULTICODEC.find((c) => bytes[0] === c.header[0] && bytes[1] === c.header[1]);
  if (!codec || bytes.length !== codec.length + 2) throw new Error('publicKeyMultibase is not an Ed25519, P-256 or P-384 public key');
  const raw = Buffer.from(bytes.subarray(2));
  if (codec.kind === 'ed25519') return withAlgorithm(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }));
  const der = Buffer.concat([Buffer.from(SPKI_PREFIX[codec.kind], 'hex'), raw]);
  return withAlgorithm(createPublicKey({ key: der, format: 'der', type: 'spki' }));
}

/** The public key of a DID verification method (Multikey, JsonWebKey2020 or JsonWebKey). */
export function publicKeyOfMethod(method: { id?: string; type?: string; publicKeyMultibase?: unknown; publicKeyJwk?: unknown }): PublicVerificationKey {
  if (method.publicKeyJwk && typeof method.publicKeyJwk === 'object') return publicKeyFromJwk(method.publicKeyJwk as Record<string, unknown>);
  if (typeof method.publicKeyMultibase === 'string') return publicKeyFromMultikey(method.publicKeyMultibase);
  throw new Error(`${method.id ?? 'the verification method'} has neither publicKeyJwk nor publicKeyMultibase`);
}
