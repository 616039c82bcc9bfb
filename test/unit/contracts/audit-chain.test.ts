import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEntry, entryHash, GENESIS, GENESIS_HASH, linkEntry, verifyChain } from '../../../contracts/audit/chain.ts';
import { type AuditCheckpoint, signCheckpoint } from '../../../contracts/audit/checkpoint.ts';
import type { AuditEvent } from '../../../contracts/audit/events.ts';

const did = 'did:web:hospital.example';
const keyId = `${did}#key-1`;
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { did, keyId, privateKey };
const resolveKey = (id: string): KeyObject | undefined => (id === keyId ? publicKey : undefined);

function revoked(n: number): AuditEvent {
  return { type: 'credential.revoked', actor: 'operator', subjects: { credentialId: `urn:uuid:${n}`, memberDid: 'did:web:lab.example' }, details: { reason: `reason ${n}` } };
}

/** A chain of `length` entries, one second apart. */
function chain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let n = 1; n <= length; n++) entries.push(linkEntry(entries.at(-1) ?? GENESIS, revoked(n), new Date(Date.UTC(2026, 11, 1, 12, 0, n))));
  return entries;
}

const checkpointAt = (entries: AuditEntry[], sequence: number): Promise<AuditCheckpoint> => signCheckpoint(entries[sequence - 1]!, signer, new Date(Date.UTC(2026, 11, 1, 13)));

describe('the hash chain', () => {
  it('starts from the genesis hash and numbers entries from 1', () => {
    const [first, second] = chain(2);
    expect(first!.sequence).toBe(1);
    expect(first!.previousHash).toBe(GENESIS_HASH);
    expect(second!.previousHash).toBe(first!.hash);
    expect(first!.category).toBe('credential');
  });

  it('hashes SHA-256 over the previous hash followed by the canonical entry', async () => {
    const [first] = chain(1);
    const body =
      '{"actor":"operator","category":"credential","details":{"reason":"reason 1"},"recordedAt":"2026-12-01T12:00:01.000Z","sequence":1,"subjects":{"credentialId":"urn:uuid:1","memberDid":"did:web:lab.example"},"type":"credential.revoked"}';
    const { createHash } = await import('node:crypto');
    expect(first!.hash).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + body)
        .digest('hex'),
    );
    expect(entryHash(first!)).toBe(first!.hash);
  });

  it('an untouched chain with signed checkpoints verifies', async () => {
    const entries = chain(5);
    const verdict = await verifyChain(entries, [await checkpointAt(entries, 2), await checkpointAt(entries, 4)], resolveKey);
    expect(verdict).toEqual({ ok: true, entries: 5, checkpoints: 2, head: { sequence: 5, hash: entries[4]!.hash }, signedThrough: 4 });
  });

  it('an empty chain without checkpoints verifies', async () => {
    expect(await verifyChain([], [], resolveKey)).toMatchObject({ ok: true, entries: 0, head: GENESIS });
  });

  it('reads entries from an async iterable too (a store paging through the log)', async () => {
    const entries = chain(3);
    async function* pages() {
      yield* entries;
    }
    expect((await verifyChain(pages(), [], resolveKey)).ok).toBe(true);
  });
});

describe('verifyChain names the first broken entry', () => {
  it('hash mismatch: an entry whose content was altered', async () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, details: { reason: 'something else' } };
    const verdict = await verifyChain(entries, [], resolveKey);
    expect(verdict.ok).toBe(false);
    expect(verdict.firstBroken).toMatchObject({ sequence: 3, reason: 'hash-mismatch' });
    expect(verdict.entries).toBe(2);
  });

  it('hash mismatch: an entry whose time was altered', async () => {
    const entries = chain(3);
    entries[0] = { ...entries[0]!, recordedAt: '2020-01-01T00:00:00.000Z' };
    expect((await verifyChain(entries, [], resolveKey)).firstBroken).toMatchObject({ sequence: 1, reason: 'hash-mismatch' });
  });

  it('link broken: an entry replaced by one hashed correctly but linked elsewhere', async () => {
    const entries = chain(4);
    entries[2] = linkEntry({ sequence: 2, hash: 'f'.repeat(64) }, revoked(99), new Date());
    expect((await verifyChain(entries, [], resolveKey)).firstBroken).toMatchObject({ sequence: 3, reason: 'link-broken' });
  });

  it('gap in sequence: a deleted entry is named by its sequence', async () => {
    const entries = chain(5);
    entries.splice(3, 1);
    const verdict = await verifyChain(entries, [], resolveKey);
    expect(verdict.firstBroken).toMatchObject({ sequence: 4, reason: 'sequence-gap' });
    expect(verdict.firstBroken!.message).toContain('Entry 4 is missing');
  });

  it('gap in sequence: the first entry deleted', async () => {
    const entries = chain(3).slice(1);
    expect((await verifyChain(entries, [], resolveKey)).firstBroken).toMatchObject({ sequence: 1, reason: 'sequence-gap' });
  });

  it('gap in sequence: an entry repeated', async () => {
    const entries = chain(3);
    entries.splice(2, 0, entries[1]!);
    expect((await verifyChain(entries, [], resolveKey)).firstBroken).toMatchObject({ sequence: 3, reason: 'sequence-gap' });
  });

  it('checkpoint signature invalid: signed by another key', async () => {
    const entries = chain(4);
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = await signCheckpoint(entries[1]!, { ...signer, privateKey: other });
    const verdict = await verifyChain(entries, [await checkpointAt(entries, 3), forged], resolveKey);
    expect(verdict.firstBroken).toMatchObject({ sequence: 2, reason: 'checkpoint-signature-invalid' });
    expect(verdict.signedThrough).toBe(0);
  });

  it('checkpoint signature invalid: a signed member changed afterwards', async () => {
    const entries = chain(4);
    const moved = { ...(await checkpointAt(entries, 4)), createdAt: '2030-01-01T00:00:00.000Z' };
    expect((await verifyChain(entries, [moved], resolveKey)).firstBroken).toMatchObject({ sequence: 4, reason: 'checkpoint-signature-invalid' });
  });

  it('checkpoint signature invalid: an unknown key or a malformed JWS', async () => {
    const entries = chain(2);
    const unknownKey = { ...(await checkpointAt(entries, 1)), keyId: `${did}#key-9` };
    expect((await verifyChain(entries, [unknownKey], resolveKey)).firstBroken?.message).toContain('could not be resolved');
    const attached = { ...(await checkpointAt(entries, 1)), signature: 'a.b.c' };
    expect((await verifyChain(entries, [attached], resolveKey)).firstBroken?.message).toContain('not a detached compact JWS');
    const noneAlg = { ...(await checkpointAt(entries, 1)), signature: `${Buffer.from('{"alg":"none"}').toString('base64url')}..AA` };
    expect((await verifyChain(entries, [noneAlg], resolveKey)).firstBroken?.message).toContain('not EdDSA');
  });

  it('checkpoint head not on the chain: entries rewritten with every later hash recomputed', async () => {
    const original = chain(5);
    const checkpoint = await checkpointAt(original, 4);
    const rewritten = original.slice(0, 1);
    for (let n = 2; n <= 5; n++) rewritten.push(linkEntry(rewritten.at(-1)!, revoked(n === 2 ? 42 : n), new Date(original[n - 1]!.recordedAt)));
    const verdict = await verifyChain(rewritten, [checkpoint], resolveKey);
    expect(verdict.firstBroken).toMatchObject({ sequence: 4, reason: 'checkpoint-not-on-chain' });
  });

  it('truncated: a checkpoint covers entries that were cut off the end', async () => {
    const entries = chain(5);
    const verdict = await verifyChain(entries.slice(0, 3), [await checkpointAt(entries, 2), await checkpointAt(entries, 5)], resolveKey);
    expect(verdict.firstBroken).toMatchObject({ sequence: 4, reason: 'truncated' });
    expect(verdict.signedThrough).toBe(2);
  });

  it('reports the lowest broken sequence when several things are wrong', async () => {
    const entries = chain(6);
    const forgedLate = { ...(await checkpointAt(entries, 5)), headHash: '0'.repeat(64) };
    entries[1] = { ...entries[1]!, actor: 'connector' };
    expect((await verifyChain(entries, [forgedLate], resolveKey)).firstBroken).toMatchObject({ sequence: 2, reason: 'hash-mismatch' });
  });

  it('cannot see a truncation after the last checkpoint (documented limit)', async () => {
    const entries = chain(5);
    expect((await verifyChain(entries.slice(0, 4), [await checkpointAt(entries, 3)], resolveKey)).ok).toBe(true);
  });
});
