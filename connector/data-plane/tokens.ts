import { createHash, timingSafeEqual } from 'node:crypto';

/** Bearer tokens of the data plane: only their SHA-256 is stored; a presented token is compared in constant time. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function tokenMatches(presented: string | undefined, hash: string | null): boolean {
  if (!presented || !hash) return false;
  const a = Buffer.from(hashToken(presented));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
