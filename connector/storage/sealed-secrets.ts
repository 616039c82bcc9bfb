import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals short secrets kept in the database (a caller's access token until its request is decided) with
 * AES-256-GCM under a key derived from the connector's identity secret, so a copied database file alone
 * reveals none of them. Format: `v1.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export interface SecretSealer {
  seal(plain: string): string;
  /** The secret, or undefined if the value was not sealed by this connector or was altered. */
  open(sealed: string): string | undefined;
}

export function createSecretSealer(identitySecret: string): SecretSealer {
  const key = Buffer.from(hkdfSync('sha256', identitySecret, 'hdc-sealed-secrets', 'v1', 32));
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv, data, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed) {
      const [version, iv, data, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || data === undefined || !tag) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
