import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMultikey, encodeMultikey, ED25519_PUBLIC_HEADER, ED25519_SECRET_HEADER } from '../../vocab/multikey.ts';

/**
 * The connector's Ed25519 identity key, generated on first start and kept in the data directory with
 * file mode 0600. Its values never go to a log: `toJSON` hides the secret part.
 */
export interface IdentityKey {
  publicKeyMultibase: string;
  /** Node KeyObjects for node:crypto signing (JWTs) and verification. */
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The secret key as a Multikey value, for the Data Integrity libraries. */
  secretKeyMultibase(): string;
  /** A P-256 key beside it, for JWTs (ES256) with peers that do not take EdDSA; published as JsonWebKey2020. */
  p256: { privateKey: KeyObject; publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string } };
}

interface StoredKey {
  type: 'Ed25519';
  publicKeyMultibase: string;
  secretKeyMultibase: string;
  created: string;
}

export const IDENTITY_KEY_FILE = join('keys', 'identity-key.json');
export const P256_KEY_FILE = join('keys', 'identity-key-p256.json');

/** The P-256 key (a private JWK, mode 0600), created on first start, also for data directories made before it existed. */
function loadOrCreateP256Key(dataDir: string): IdentityKey['p256'] {
  const path = join(dataDir, P256_KEY_FILE);
  if (!existsSync(path)) {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    writeFileSync(path, `${JSON.stringify({ type: 'P-256', jwk, created: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } else if (statSync(path).mode & 0o077) chmodSync(path, 0o600);
  const { jwk } = JSON.parse(readFileSync(path, 'utf8')) as { jwk: Record<string, string> };
  const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const { x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: x!, y: y! } };
}

function fromStored(stored: StoredKey, p256: IdentityKey['p256']): IdentityKey {
  const publicRaw = decodeMultikey(stored.publicKeyMultibase, ED25519_PUBLIC_HEADER);
  const secretRaw = decodeMultikey(stored.secretKeyMultibase, ED25519_SECRET_HEADER);
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicRaw).toString('base64url') };
  const privateKey = createPrivateKey({ key: { ...jwk, d: Buffer.from(secretRaw).toString('base64url') }, format: 'jwk' });
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  if (createPublicKey(privateKey).export({ format: 'jwk' }).x !== jwk.x) {
    throw new Error('Identity key file is inconsistent: its public key does not match its secret key');
  }
  const key: IdentityKey = {
    publicKeyMultibase: stored.publicKeyMultibase,
    privateKey,
    publicKey,
    secretKeyMultibase: () => stored.secretKeyMultibase,
    p256,
  };
  Object.defineProperty(key, 'toJSON', { value: () => ({ publicKeyMultibase: stored.publicKeyMultibase, p256: p256.publicJwk }) });
  return key;
}

export function generateIdentityKey(): StoredKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return {
    type: 'Ed25519',
    publicKeyMultibase: encodeMultikey(ED25519_PUBLIC_HEADER, x),
    secretKeyMultibase: encodeMultikey(ED25519_SECRET_HEADER, d),
    created: new Date().toISOString(),
  };
}

/** Loads the identity key from dataDir, creating it (mode 0600, folder 0700) on first start. */
export function loadOrCreateIdentityKey(dataDir: string): { key: IdentityKey; created: boolean } {
  const path = join(dataDir, IDENTITY_KEY_FILE);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600);
    return { key: fromStored(JSON.parse(readFileSync(path, 'utf8')) as StoredKey, loadOrCreateP256Key(dataDir)), created: false };
  }
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const stored = generateIdentityKey();
  writeFileSync(path, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { key: fromStored(stored, loadOrCreateP256Key(dataDir)), created: true };
}
