import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The provider's release key: 32 random bytes in `dataDir/keys/release-key` (mode 0600), generated on first
 * start. Each agreement's pseudonymisation secret is derived from it (`agreementSecret(key, agreementId)`), so
 * the same patient keeps one pseudonym per agreement and the recipient never holds what would link them back.
 * Losing the file changes every pseudonym of later transfers; back it up with the identity key.
 */
export const RELEASE_KEY_FILE = join('keys', 'release-key');
const KEY_BYTES = 32;

export function loadOrCreateReleaseKey(dataDir: string): Uint8Array {
  const path = join(dataDir, RELEASE_KEY_FILE);
  if (existsSync(path)) {
    if (statSync(path).mode & 0o077) chmodSync(path, 0o600);
    const key = readFileSync(path);
    if (key.length !== KEY_BYTES) throw new Error(`the release key ${path} must hold exactly ${KEY_BYTES} bytes, it holds ${key.length}`);
    return new Uint8Array(key);
  }
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
  return new Uint8Array(key);
}
