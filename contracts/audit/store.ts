import type { AuditEntry, ChainHead } from './chain.ts';
import type { AuditCheckpoint } from './checkpoint.ts';
import type { AuditEvent } from './events.ts';

export interface AuditQuery {
  /** Entries with a sequence above this one (paging). */
  after?: number;
  limit?: number;
  /** Entries naming this id among their subjects (negotiation, agreement, transfer, credential, member, query). */
  subjectId?: string;
  type?: string;
}

/**
 * Where the audit chain is kept. `append` takes the sequence number and the previous hash from the same
 * transaction as its insert, so several writers on one database extend one chain; given the caller's
 * transaction `trx`, the entry commits (or rolls back) with the caller's state change.
 */
export interface AuditStore<Trx = unknown> {
  append(trx: Trx | undefined, event: AuditEvent, recordedAt?: Date): Promise<AuditEntry>;
  /** The last entry's sequence and hash (GENESIS for an empty chain). */
  head(): Promise<ChainHead>;
  /** Entries in sequence order. */
  entries(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Every entry in sequence order, read page by page. */
  allEntries(pageSize?: number): AsyncIterable<AuditEntry>;
  /** Stores a checkpoint; false when one for that sequence and key already exists. */
  addCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean>;
  checkpoints(): Promise<AuditCheckpoint[]>;
  /** The checkpoint with the highest sequence signed under this key id. */
  lastCheckpoint(keyId: string): Promise<AuditCheckpoint | undefined>;
}
