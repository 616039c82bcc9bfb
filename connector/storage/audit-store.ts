import type { Kysely, Transaction } from 'kysely';
import { type AuditEntry, type ChainHead, linkEntry } from '../../contracts/audit/chain.ts';
import type { AuditCheckpoint } from '../../contracts/audit/checkpoint.ts';
import { type AuditEvent, checkAuditEvent } from '../../contracts/audit/events.ts';
import type { AuditQuery, AuditStore } from '../../contracts/audit/store.ts';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

export interface AuditEntriesTable {
  sequence: number;
  recorded_at: string;
  actor: string;
  category: string;
  type: string;
  /** JSON object of ids. */
  subjects: string;
  /** JSON object. */
  details: string;
  previous_hash: string;
  hash: string;
}

export interface AuditTables {
  audit_entries: AuditEntriesTable;
  audit_subjects: { subject_id: string; sequence: number };
  audit_checkpoints: { sequence: number; key_id: string; head_hash: string; created_at: string; did: string; signature: string };
  audit_head: { id: number; sequence: number; hash: string };
}

/** Another writer moved the chain's head between this transaction's read and its update (SQLite across processes). */
export class AuditHeadMovedError extends Error {
  override name = 'AuditHeadMovedError';
}

const APPEND_ATTEMPTS = 5;
const MAX_PAGE = 1000;

/**
 * The audit chain in the connector's database. An append reads the head row (PostgreSQL: FOR UPDATE, so
 * replicas queue on it), links the entry to it, moves the head with compare-and-set and inserts the entry,
 * all in one transaction: the caller's when given, else its own (retried if the head moved meanwhile).
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await negotiations.save(trx, agreed);
 *   await audit.append(trx, { type: 'negotiation.decided', actor: 'connector', subjects, details });
 * });
 */
export function auditStore(db: Kysely<Database>, dialect: Dialect): AuditStore<Transaction<Database>> {
  async function appendIn(trx: Transaction<Database>, event: AuditEvent, recordedAt: Date): Promise<AuditEntry> {
    const row = await trx
      .selectFrom('audit_head')
      .select(['sequence', 'hash'])
      .where('id', '=', 1)
      .$if(dialect === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirstOrThrow();
    const entry = linkEntry({ sequence: Number(row.sequence), hash: row.hash }, event, recordedAt);
    const moved = await trx
      .updateTable('audit_head')
      .set({ sequence: entry.sequence, hash: entry.hash })
      .where('id', '=', 1)
      .where('sequence', '=', row.sequence)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new AuditHeadMovedError(`The audit head moved past ${row.sequence} during this append`);
    await trx.insertInto('audit_entries').values(toRow(entry)).execute();
    const ids = [...new Set(Object.values(entry.subjects))];
    if (ids.length)
      await trx
        .insertInto('audit_subjects')
        .values(ids.map((id) => ({ subject_id: id, sequence: entry.sequence })))
        .execute();
    return entry;
  }

  async function entries(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const rows = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('sequence', '>', query.after ?? 0)
      .$if(query.type !== undefined, (qb) => qb.where('type', '=', query.type!))
      .$if(query.subjectId !== undefined, (qb) => qb.where('sequence', 'in', db.selectFrom('audit_subjects').select('sequence').where('subject_id', '=', query.subjectId!)))
      .orderBy('sequence')
      .limit(Math.min(query.limit ?? MAX_PAGE, MAX_PAGE))
      .execute();
    return rows.map(fromRow);
  }

  return {
    async append(trx, event, recordedAt = new Date()) {
      checkAuditEvent(event);
      if (trx) return appendIn(trx, event, recordedAt);
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((own) => appendIn(own, event, recordedAt));
        } catch (error) {
          if (!(error instanceof AuditHeadMovedError) || attempt >= APPEND_ATTEMPTS) throw error;
        }
      }
    },

    async head(): Promise<ChainHead> {
      const row = await db.selectFrom('audit_head').select(['sequence', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
      return { sequence: Number(row.sequence), hash: row.hash };
    },

    entries,

    async *allEntries(pageSize = MAX_PAGE) {
      let after = 0;
      for (;;) {
        const page = await entries({ after, limit: pageSize });
        yield* page;
        if (page.length < Math.min(pageSize, MAX_PAGE)) return;
        after = page.at(-1)!.sequence;
      }
    },

    async addCheckpoint(checkpoint: AuditCheckpoint): Promise<boolean> {
      const result = await db
        .insertInto('audit_checkpoints')
        .values({
          sequence: checkpoint.sequence,
          key_id: checkpoint.keyId,
          head_hash: checkpoint.headHash,
          created_at: checkpoint.createdAt,
          did: checkpoint.did,
          signature: checkpoint.signature,
        })
        .onConflict((oc) => oc.columns(['sequence', 'key_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async checkpoints(): Promise<AuditCheckpoint[]> {
      return (await db.selectFrom('audit_checkpoints').selectAll().orderBy('sequence').orderBy('key_id').execute()).map(fromCheckpointRow);
    },

    async lastCheckpoint(keyId: string): Promise<AuditCheckpoint | undefined> {
      const row = await db.selectFrom('audit_checkpoints').selectAll().where('key_id', '=', keyId).orderBy('sequence', 'desc').limit(1).executeTakeFirst();
      return row && fromCheckpointRow(row);
    },
  };
}

function fromCheckpointRow(r: AuditTables['audit_checkpoints']): AuditCheckpoint {
  return { sequence: Number(r.sequence), headHash: r.head_hash, createdAt: r.created_at, did: r.did, keyId: r.key_id, signature: r.signature };
}

function toRow(entry: AuditEntry): AuditEntriesTable {
  return {
    sequence: entry.sequence,
    recorded_at: entry.recordedAt,
    actor: entry.actor,
    category: entry.category,
    type: entry.type,
    subjects: JSON.stringify(entry.subjects),
    details: JSON.stringify(entry.details),
    previous_hash: entry.previousHash,
    hash: entry.hash,
  };
}

/** The stored row as an entry; JSON that no longer parses is kept as a string, so verification reports a mismatch instead of crashing. */
function fromRow(row: AuditEntriesTable): AuditEntry {
  return {
    sequence: Number(row.sequence),
    recordedAt: row.recorded_at,
    actor: row.actor,
    category: row.category,
    type: row.type,
    subjects: parseOrKeep(row.subjects) as Record<string, string>,
    details: parseOrKeep(row.details) as Record<string, unknown>,
    previousHash: row.previous_hash,
    hash: row.hash,
  };
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
