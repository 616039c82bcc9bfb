import type { KeyObject } from 'node:crypto';
import { type AuditEntry, type ChainVerdict, verifyChain } from '../../contracts/audit/chain.ts';
import { type AuditCheckpoint, type ResolveCheckpointKey, signCheckpoint } from '../../contracts/audit/checkpoint.ts';
import type { AuditEvent } from '../../contracts/audit/events.ts';
import type { AuditStore } from '../../contracts/audit/store.ts';
import type { Logger } from '../logger.ts';

export interface AuditTrailOptions<Trx> {
  store: AuditStore<Trx>;
  /** The connector's DID, the verification method of its identity key, and that key. */
  did: string;
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  logger: Logger;
  /** Sign a checkpoint this often while entries keep coming (0: only by entry count and at shutdown). */
  checkpointEverySeconds?: number;
  /** Sign a checkpoint once this many entries followed the last one (0: never by count). */
  checkpointEveryEntries?: number;
  /** Keys of checkpoints signed under other key ids (a rotated key); this connector's own is always known. */
  resolveOtherKey?: ResolveCheckpointKey;
}

/** Records audit events where callers cannot depend on the whole trail. */
export interface AuditRecorder<Trx = unknown> {
  record(trx: Trx | undefined, event: AuditEvent): Promise<AuditEntry>;
}

export interface AuditTrail<Trx = unknown> extends AuditRecorder<Trx> {
  readonly store: AuditStore<Trx>;
  /** Signs the current head unless a checkpoint already covers it; returns the new checkpoint, if any. */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  verify(): Promise<ChainVerdict>;
  /** The whole trail as JSON lines: each entry, and each checkpoint right after the entry it signs. */
  export(): AsyncIterable<string>;
  /** Stops the timer and signs a last checkpoint. */
  close(): Promise<void>;
}

/**
 * The connector's audit trail: an append-only hash chain of decisions and data movements, with checkpoints
 * signed by the connector's DID key on a timer, after every `checkpointEveryEntries` entries and at shutdown.
 *
 * @example
 * const audit = createAuditTrail({ store: auditStore(db, dialect), did, keyId, privateKey, publicKey, logger });
 * await audit.record(trx, { type: 'credential.revoked', actor: 'operator', subjects, details: { reason } });
 */
export function createAuditTrail<Trx>(options: AuditTrailOptions<Trx>): AuditTrail<Trx> {
  const { store, did, keyId, privateKey, publicKey, logger } = options;
  const everyEntries = options.checkpointEveryEntries ?? 1000;
  let sinceCheckpoint = 0;
  // Checkpoints are taken one at a time, so a timer tick and an entry count never sign the same head twice.
  let signing: Promise<AuditCheckpoint | undefined> = Promise.resolve(undefined);

  const resolveKey: ResolveCheckpointKey = (id, signerDid) => (id === keyId ? publicKey : options.resolveOtherKey?.(id, signerDid));

  async function signHead(): Promise<AuditCheckpoint | undefined> {
    const head = await store.head();
    const last = await store.lastCheckpoint(keyId);
    if (head.sequence === 0 || (last && last.sequence >= head.sequence)) return undefined;
    const checkpoint = await signCheckpoint(head, { did, keyId, privateKey });
    sinceCheckpoint = 0;
    return (await store.addCheckpoint(checkpoint)) ? checkpoint : undefined;
  }

  function checkpoint(): Promise<AuditCheckpoint | undefined> {
    signing = signing.catch(() => undefined).then(signHead);
    return signing;
  }

  function checkpointSoon(): void {
    // After the caller's transaction has had the chance to commit: a checkpoint signs the committed head.
    setTimeout(() => void checkpoint().catch((error) => logger.error('audit checkpoint failed', { error })), 0).unref();
  }

  const seconds = options.checkpointEverySeconds ?? 60;
  const timer = seconds > 0 ? setInterval(checkpointSoon, seconds * 1000) : undefined;
  timer?.unref();

  return {
    store,
    async record(trx, event) {
      const entry = await store.append(trx, event);
      if (everyEntries > 0 && ++sinceCheckpoint >= everyEntries) checkpointSoon();
      return entry;
    },
    checkpoint,
    async verify() {
      return verifyChain(store.allEntries(), await store.checkpoints(), resolveKey);
    },
    export: () => exportLines(store),
    async close() {
      clearInterval(timer);
      try {
        await checkpoint();
      } catch (error) {
        logger.error('audit checkpoint at shutdown failed', { error });
      }
    },
  };
}

/** JSON lines: `{"entry":…}` for each entry and `{"checkpoint":…}` after the entry a checkpoint signs. */
export async function* exportLines(store: AuditStore<unknown>): AsyncIterable<string> {
  const checkpoints = await store.checkpoints();
  let next = 0;
  for await (const entry of store.allEntries()) {
    yield `${JSON.stringify({ entry })}\n`;
    while (next < checkpoints.length && checkpoints[next]!.sequence <= entry.sequence) yield `${JSON.stringify({ checkpoint: checkpoints[next++] })}\n`;
  }
  // Checkpoints beyond the last entry (a truncated chain) are exported too, so the export shows the truncation.
  while (next < checkpoints.length) yield `${JSON.stringify({ checkpoint: checkpoints[next++] })}\n`;
}

/** Reads an export back into entries and checkpoints; a line that is neither is an error naming its number. */
export function parseExport(text: string): { entries: AuditEntry[]; checkpoints: AuditCheckpoint[] } {
  const entries: AuditEntry[] = [];
  const checkpoints: AuditCheckpoint[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let parsed: { entry?: AuditEntry; checkpoint?: AuditCheckpoint };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`Line ${index + 1} of the export is not JSON`);
    }
    if (parsed.entry) entries.push(parsed.entry);
    else if (parsed.checkpoint) checkpoints.push(parsed.checkpoint);
    else throw new Error(`Line ${index + 1} of the export is neither an entry nor a checkpoint`);
  });
  return { entries, checkpoints };
}
