/** Payload digests by fingerprint: a payload is hashed once while none of its bytes changed. */
const digests = new Map<string, string>();

export function knownDigest(fingerprint: string): string | undefined {
  return digests.get(fingerprint);
}

export function rememberDigest(fingerprint: string, digest: string): void {
  if (digests.size > 1000) digests.clear();
  digests.set(fingerprint, digest);
}
