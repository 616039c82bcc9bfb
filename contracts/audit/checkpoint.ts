import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { ChainHead } from './chain.ts';

/**
 * A checkpoint: the connector's signature over the head of its audit chain at one moment. Anyone with the
 * connector's DID document can check that the chain up to `sequence` ended in `headHash` when it was signed;
 * rewriting or deleting an entry at or before that sequence then shows, even if every later hash was recomputed.
 *
 * The signature is a detached JWS (RFC 7515, appendix F) with EdDSA (Ed25519, RFC 8037): protected header
 * `{"alg":"EdDSA","kid":keyId}`, payload the RFC 8785 canonical JSON of the other five members, left out of the
 * compact form (`header..signature`) because the checkpoint itself carries it.
 */
export interface AuditCheckpoint {
  sequence: number;
  headHash: string;
  createdAt: string;
  /** The DID of the connector whose key signed. */
  did: string;
  /** The verification method of that DID (did#key-1). */
  keyId: string;
  /** Detached compact JWS: base64url(header) + ".." + base64url(signature). */
  signature: string;
}

export interface CheckpointSigner {
  did: string;
  keyId: string;
  privateKey: KeyObject;
}

/** Resolves a checkpoint's key id to the public key it names, or undefined when it cannot be found. */
export type ResolveCheckpointKey = (keyId: string, did: string) => KeyObject | undefined | Promise<KeyObject | undefined>;

const b64url = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');

/** What the signature covers: the JWS signing input for this checkpoint's members and the given header. */
function signingInput(encodedHeader: string, checkpoint: Omit<AuditCheckpoint, 'signature'>): Buffer {
  const { sequence, headHash, createdAt, did, keyId } = checkpoint;
  return Buffer.from(`${encodedHeader}.${b64url(canonicalJson({ sequence, headHash, createdAt, did, keyId }))}`, 'ascii');
}

/** Signs the chain head as a checkpoint. */
export function signCheckpoint(head: ChainHead, signer: CheckpointSigner, createdAt = new Date()): AuditCheckpoint {
  const unsigned = { sequence: head.sequence, headHash: head.hash, createdAt: createdAt.toISOString(), did: signer.did, keyId: signer.keyId };
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid: signer.keyId }));
  const signature = sign(null, signingInput(header, unsigned), signer.privateKey);
  return { ...unsigned, signature: `${header}..${b64url(signature)}` };
}

/** Why a checkpoint's signature does not hold, or undefined when it does. */
export function checkpointSignatureProblem(checkpoint: AuditCheckpoint, publicKey: KeyObject | undefined): string | undefined {
  if (!publicKey) return `its key ${checkpoint.keyId} could not be resolved`;
  const parts = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(checkpoint.signature);
  if (!parts) return 'its signature is not a detached compact JWS';
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return 'its JWS header is not JSON';
  }
  if (header.alg !== 'EdDSA') return `its JWS algorithm is ${String(header.alg)}, not EdDSA`;
  if (header.kid !== checkpoint.keyId) return 'its JWS key id differs from the checkpoint key id';
  let valid = false;
  try {
    valid = verify(null, signingInput(parts[1]!, checkpoint), publicKey, Buffer.from(parts[2]!, 'base64url'));
  } catch {
    valid = false;
  }
  return valid ? undefined : `its signature does not verify with ${checkpoint.keyId}`;
}
