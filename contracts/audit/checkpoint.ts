import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
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

/** The JWS payload: this checkpoint's members, canonical JSON (detached: not carried in the signature). */
function payloadOf(checkpoint: Omit<AuditCheckpoint, 'signature'>): Uint8Array {
  const { sequence, headHash, createdAt, did, keyId } = checkpoint;
  return new TextEncoder().encode(canonicalJson({ sequence, headHash, createdAt, did, keyId }));
}

/** Signs the chain head as a checkpoint. */
export async function signCheckpoint(head: ChainHead, signer: CheckpointSigner, createdAt = new Date()): Promise<AuditCheckpoint> {
  const unsigned = { sequence: head.sequence, headHash: head.hash, createdAt: createdAt.toISOString(), did: signer.did, keyId: signer.keyId };
  const [header, , signature] = (await new CompactSign(payloadOf(unsigned)).setProtectedHeader({ alg: 'EdDSA', kid: signer.keyId }).sign(signer.privateKey)).split('.');
  return { ...unsigned, signature: `${header}..${signature}` };
}

/** Why a checkpoint's signature does not hold, or undefined when it does. */
export async function checkpointSignatureProblem(checkpoint: AuditCheckpoint, publicKey: KeyObject | undefined): Promise<string | undefined> {
  if (!publicKey) return `its key ${checkpoint.keyId} could not be resolved`;
  const parts = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(checkpoint.signature);
  if (!parts) return 'its signature is not a detached compact JWS';
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(`${parts[1]}..`);
  } catch {
    return 'its JWS header is not JSON';
  }
  if (header.alg !== 'EdDSA') return `its JWS algorithm is ${String(header.alg)}, not EdDSA`;
  if (header.kid !== checkpoint.keyId) return 'its JWS key id differs from the checkpoint key id';
  const attached = `${parts[1]}.${Buffer.from(payloadOf(checkpoint)).toString('base64url')}.${parts[2]}`;
  try {
    await compactVerify(attached, publicKey, { algorithms: ['EdDSA'] });
    return undefined;
  } catch {
    return `its signature does not verify with ${checkpoint.keyId}`;
  }
}
