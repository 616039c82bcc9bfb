import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { checkpointSignatureProblem, type AuditCheckpoint, type ResolveCheckpointKey } from './checkpoint.ts';
import { auditCategory, type AuditEvent } from './events.ts';

/**
 * The audit chain: entries numbered 1, 2, 3 … without gaps, each hash taken over the previous entry's hash
 * and the entry's own canonical JSON, so changing, removing or inserting an entry breaks every later link.
 *
 *   hash(n) = hex(SHA-256(UTF-8(hash(n-1)) ‖ UTF-8(JCS({sequence, recordedAt, actor, category, type, subjects, details}))))
 *   hash(0) = 64 × "0"
 */
export interface AuditEntry {
  sequence: number;
  recordedAt: string;
  actor: string;
  category: string;
  type: string;
  subjects: Record<string, string>;
  details: Record<string, unknown>;
  previousHash: string;
  hash: string;
}

/** The last entry of a chain: what the next entry links to and what a checkpoint signs. */
export interface ChainHead {
  sequence: number;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
export const GENESIS: ChainHead = { sequence: 0, hash: GENESIS_HASH };

/** The hash an entry must carry, computed from its previous hash and its content. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { sequence, recordedAt, actor, category, type, subjects, details } = entry;
  return createHash('sha256').update(entry.previousHash, 'utf8').update(canonicalJson({ sequence, recordedAt, actor, category, type, subjects, details }), 'utf8').digest('hex');
}

/** The entry that follows `previous` (GENESIS for the first) for this event. */
export function linkEntry(previous: ChainHead, event: AuditEvent, recordedAt: Date): AuditEntry {
  const unhashed = {
    sequence: previous.sequence + 1,
    recordedAt: recordedAt.toISOString(),
    actor: event.actor,
    category: auditCategory(event.type),
    type: event.type,
    subjects: event.subjects as Record<string, string>,
    details: event.details as Record<string, unknown>,
    previousHash: previous.hash,
  };
  return { ...unhashed, hash: entryHash(unhashed) };
}

export type ChainBreak =
  /** The entry's content no longer gives its stored hash: it was altered. */
  | 'hash-mismatch'
  /** The entry does not link to the hash of the entry before it: one was replaced or inserted. */
  | 'link-broken'
  /** An entry is missing (the sequence jumps) or out of order. */
  | 'sequence-gap'
  /** A checkpoint's signature is not the connector's (or its key cannot be resolved). */
  | 'checkpoint-signature-invalid'
  /** A signed checkpoint names a head hash that the entry at its sequence does not have. */
  | 'checkpoint-not-on-chain'
  /** A signed checkpoint covers entries that are no longer there: the chain was cut short. */
  | 'truncated';

export interface BrokenEntry {
  /** The first entry that cannot be trusted (for a checkpoint failure: the checkpoint's sequence). */
  sequence: number;
  reason: ChainBreak;
  message: string;
}

export interface ChainVerdict {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** The last entry checked. */
  head: ChainHead;
  /** The highest sequence a valid signed checkpoint covers (0: none); entries after it are only hash-chained. */
  signedThrough: number;
  firstBroken?: BrokenEntry;
}

/**
 * Checks a whole chain and its checkpoints, entries in sequence order (an async iterable lets a store page
 * through a long log). Returns the first broken entry, by sequence, with the reason; checking stops there,
 * since nothing after a break can be trusted.
 */
export async function verifyChain(
  entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>,
  checkpoints: readonly AuditCheckpoint[],
  resolveKey: ResolveCheckpointKey,
): Promise<ChainVerdict> {
  const sorted = [...checkpoints].sort((a, b) => a.sequence - b.sequence);
  let broken = await firstBadSignature(sorted, resolveKey);
  const signed = new Map<number, AuditCheckpoint[]>();
  for (const checkpoint of sorted) signed.set(checkpoint.sequence, [...(signed.get(checkpoint.sequence) ?? []), checkpoint]);
  const earlier = (candidate: BrokenEntry | undefined) => (candidate && (!broken || candidate.sequence < broken.sequence) ? candidate : broken);

  let head = GENESIS;
  let count = 0;
  for await (const entry of entries) {
    if (broken && entry.sequence >= broken.sequence) break;
    const problem = entryProblem(entry, head);
    if (problem) {
      broken = earlier(problem);
      break;
    }
    for (const checkpoint of signed.get(entry.sequence) ?? []) {
      if (checkpoint.headHash !== entry.hash)
        broken = earlier({
          sequence: entry.sequence,
          reason: 'checkpoint-not-on-chain',
          message: `The checkpoint of ${checkpoint.createdAt} signed head ${checkpoint.headHash} for entry ${entry.sequence}, which now hashes to ${entry.hash}: an entry up to ${entry.sequence} was rewritten`,
        });
    }
    head = { sequence: entry.sequence, hash: entry.hash };
    count++;
  }
  const beyond = sorted.find((c) => c.sequence > head.sequence);
  if (!broken && beyond)
    broken = {
      sequence: head.sequence + 1,
      reason: 'truncated',
      message: `A checkpoint signed at ${beyond.createdAt} covers entries up to ${beyond.sequence}, but the chain ends at ${head.sequence}: entry ${head.sequence + 1} and later were removed`,
    };
  const signedThrough = sorted.filter((c) => c.sequence <= head.sequence && (!broken || c.sequence < broken.sequence)).at(-1)?.sequence ?? 0;
  return { ok: !broken, entries: count, checkpoints: sorted.length, head, signedThrough, ...(broken ? { firstBroken: broken } : {}) };
}

/** Why this entry cannot follow `previous`, or undefined when it can. */
function entryProblem(entry: AuditEntry, previous: ChainHead): BrokenEntry | undefined {
  const expected = previous.sequence + 1;
  if (entry.sequence !== expected) {
    const message =
      entry.sequence > expected
        ? `Entry ${expected} is missing: entry ${entry.sequence} follows entry ${previous.sequence}`
        : `Entry ${entry.sequence} appears again after entry ${previous.sequence}`;
    return { sequence: expected, reason: 'sequence-gap', message };
  }
  if (entry.previousHash !== previous.hash)
    return {
      sequence: entry.sequence,
      reason: 'link-broken',
      message: `Entry ${entry.sequence} links to ${entry.previousHash}, but entry ${previous.sequence} hashes to ${previous.hash}`,
    };
  let actual: string;
  try {
    actual = entryHash(entry);
  } catch (error) {
    return { sequence: entry.sequence, reason: 'hash-mismatch', message: `Entry ${entry.sequence} cannot be canonicalised: ${(error as Error).message}` };
  }
  if (actual !== entry.hash)
    return { sequence: entry.sequence, reason: 'hash-mismatch', message: `Entry ${entry.sequence} hashes to ${actual}, not to its stored ${entry.hash}: its content was altered` };
  return undefined;
}

async function firstBadSignature(sorted: readonly AuditCheckpoint[], resolveKey: ResolveCheckpointKey): Promise<BrokenEntry | undefined> {
  for (const checkpoint of sorted) {
    const problem = await checkpointSignatureProblem(checkpoint, await resolveKey(checkpoint.keyId, checkpoint.did));
    if (problem)
      return {
        sequence: checkpoint.sequence,
        reason: 'checkpoint-signature-invalid',
        message: `The checkpoint at entry ${checkpoint.sequence} (${checkpoint.createdAt}) is not trustworthy: ${problem}`,
      };
  }
  return undefined;
}
