import { createHash } from 'node:crypto';
import { base58btcDecode } from '../../vocab/multikey.ts';
import { asArray } from './model.ts';
import type { DataModelProblem } from './data-model.ts';

/**
 * Integrity of related resources (VCDM 2.0 §5.3): a verifier that can retrieve a related resource MUST
 * refuse a digest that does not match. The connector never fetches, so it checks the resources it holds:
 * `digestsOf` gives, for a URL, the digests of that resource (or undefined when it is not held).
 */

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';
export type ResourceDigests = Partial<Record<DigestAlgorithm, Uint8Array>>;

export function digestsOfBytes(bytes: Uint8Array): ResourceDigests {
  return { sha256: createHash('sha256').update(bytes).digest(), sha384: createHash('sha384').update(bytes).digest(), sha512: createHash('sha512').update(bytes).digest() };
}

/** Multihash codes for the SHA-2 family, for digestMultibase values that carry a multihash header. */
const MULTIHASH: Record<number, { algorithm: DigestAlgorithm; length: number }> = {
  18: { algorithm: 'sha256', length: 32 },
  32: { algorithm: 'sha384', length: 48 },
  19: { algorithm: 'sha512', length: 64 },
};
const BY_LENGTH: Record<number, DigestAlgorithm> = { 32: 'sha256', 48: 'sha384', 64: 'sha512' };

function decodeMultibase(value: string): Uint8Array | undefined {
  try {
    if (value.startsWith('u')) return new Uint8Array(Buffer.from(value.slice(1), 'base64url'));
    if (value.startsWith('z')) return base58btcDecode(value.slice(1));
  } catch {
    return undefined;
  }
  return undefined;
}

/** The algorithm and digest a digestMultibase names: a multihash, or a bare SHA-2 digest told apart by its length. */
function parseDigestMultibase(value: string): { algorithm: DigestAlgorithm; digest: Uint8Array } | undefined {
  const bytes = decodeMultibase(value);
  if (!bytes) return undefined;
  const header = MULTIHASH[bytes[0]!];
  if (header && bytes[1] === header.length && bytes.length === header.length + 2) return { algorithm: header.algorithm, digest: bytes.subarray(2) };
  const algorithm = BY_LENGTH[bytes.length];
  return algorithm ? { algorithm, digest: bytes } : undefined;
}

function parseDigestSri(value: string): { algorithm: DigestAlgorithm; digest: Uint8Array } | undefined {
  const [algorithm, encoded] = value.split('-', 2) as [DigestAlgorithm, string];
  const digest = new Uint8Array(Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  return BY_LENGTH[digest.length] === algorithm ? { algorithm, digest } : undefined;
}

const sameBytes = (a: Uint8Array, b: Uint8Array | undefined) => !!b && a.length === b.length && a.every((x, i) => x === b[i]);

/** Problems with the digests of the related resources this connector holds; resources it does not hold are not judged. */
export function checkRelatedResourceDigests(credential: Record<string, unknown>, digestsOf: (url: string) => ResourceDigests | undefined): DataModelProblem[] {
  const problems: DataModelProblem[] = [];
  const value = credential.relatedResource;
  asArray(value).forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as { id?: unknown }).id !== 'string') return;
    const { id, digestSRI, digestMultibase } = entry as { id: string; digestSRI?: unknown; digestMultibase?: unknown };
    const known = digestsOf(id);
    if (!known) return;
    const path = Array.isArray(value) ? `relatedResource[${i}]` : 'relatedResource';
    for (const sri of asArray(digestSRI).filter((d): d is string => typeof d === 'string')) {
      const parsed = parseDigestSri(sri);
      if (!parsed || !sameBytes(parsed.digest, known[parsed.algorithm])) problems.push({ path: `${path}.digestSRI`, message: `does not match the digest of ${id}` });
    }
    for (const multibase of asArray(digestMultibase).filter((d): d is string => typeof d === 'string')) {
      const parsed = parseDigestMultibase(multibase);
      if (!parsed || !sameBytes(parsed.digest, known[parsed.algorithm])) problems.push({ path: `${path}.digestMultibase`, message: `does not match the digest of ${id}` });
    }
  });
  return problems;
}
