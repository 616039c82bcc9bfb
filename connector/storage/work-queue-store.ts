import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

/** The columns every process table carries for its processors (migration 0501). */
export interface WorkColumns {
  /** What this side still owes the process ("decide", "verify", "start", ...); null: nothing. */
  next_action: string | null;
  due_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  attempts: number;
  last_error: string | null;
}

export interface ReceivedMessagesTable {
  process_id: string;
  digest: string;
  message_type: string;
  received_at: string;
}

export type ProcessTable = 'negotiations' | 'transfers';

export interface ClaimedWork {
  id: string;
  action: string;
  attempts: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/** The columns to set when a state change also hands the process to a processor (or takes it away: null). */
export function nextActionColumns(action: string | null, dueAt = new Date()): WorkColumns {
  return { next_action: action, due_at: action ? dueAt.toISOString() : null, lease_owner: null, lease_until: null, attempts: 0, last_error: null };
}

/**
 * Processors' view of a process table: claim due work with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so
 * replicas sharing a database never claim the same row; SQLite serialises writers), finish, retry, renew.
 */
export function workQueueStore(db: Kysely<Database>, dialect: Dialect, table: ProcessTable) {
  // Both tables have the work columns; Kysely is given one of them so the queries stay typed.
  const t = table as 'negotiations';
  return {
    /**
     * Claims up to `limit` due processes for `owner` until `leaseUntil`: unleased ones, expired leases, and,
     * with `reclaimOwn` (the first round after a restart), leases `owner` held when it died.
     */
    async claim(owner: string, limit: number, now: Date, leaseUntil: Date, reclaimOwn: boolean): Promise<ClaimedWork[]> {
      if (limit <= 0) return [];
      const nowIso = now.toISOString();
      const due = db
        .selectFrom(t)
        .select('id')
        .where('next_action', 'is not', null)
        .where('due_at', '<=', nowIso)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', nowIso), ...(reclaimOwn ? [eb('lease_owner', '=', owner)] : [])]))
        .orderBy('due_at')
        .limit(limit)
        .$if(dialect === 'postgres', (qb) => qb.forUpdate().skipLocked());
      const rows = await db
        .updateTable(t)
        .set({ lease_owner: owner, lease_until: leaseUntil.toISOString() })
        .where('id', 'in', due)
        .where('next_action', 'is not', null)
        .returning(['id', 'next_action', 'attempts'])
        .execute();
      return rows.map((r) => ({ id: r.id, action: r.next_action!, attempts: Number(r.attempts) }));
    },

    /** The action is done and nothing new was scheduled by it: the process needs nothing more. */
    async finish(id: string, owner: string, action: string): Promise<void> {
      await db.updateTable(t).set(nextActionColumns(null)).where('id', '=', id).where('next_action', '=', action).where('lease_owner', '=', owner).execute();
    },

    /** The action failed; it is tried again at `dueAt`. */
    async retry(id: string, owner: string, action: string, dueAt: Date, error: string): Promise<void> {
      await db
        .updateTable(t)
        .set({ due_at: dueAt.toISOString(), lease_owner: null, lease_until: null, attempts: sql<number>`attempts + 1`, last_error: error.slice(0, 500) })
        .where('id', '=', id)
        .where('next_action', '=', action)
        .where('lease_owner', '=', owner)
        .execute();
    },

    /** Gives a claimed process back without running it. */
    async release(id: string, owner: string): Promise<void> {
      await db.updateTable(t).set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
    },

    /** Keeps a long action's lease (a running pull) from running out. */
    async renew(id: string, owner: string, leaseUntil: Date): Promise<boolean> {
      const result = await db.updateTable(t).set({ lease_until: leaseUntil.toISOString() }).where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async countDue(now: Date): Promise<number> {
      const row = await db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll().as('n'))
        .where('next_action', 'is not', null)
        .where('due_at', '<=', now.toISOString())
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type WorkQueueStore = ReturnType<typeof workQueueStore>;

/** Digests of the protocol messages applied to each process: a message seen again is a repeat. */
export function receivedMessageStore(db: Kysely<Database>) {
  return {
    async seen(processId: string, digest: string, trx: Db = db): Promise<boolean> {
      return !!(await trx.selectFrom('received_messages').select('digest').where('process_id', '=', processId).where('digest', '=', digest).executeTakeFirst());
    },
    async record(trx: Db, processId: string, digest: string, messageType: string): Promise<void> {
      await trx
        .insertInto('received_messages')
        .values({ process_id: processId, digest, message_type: messageType, received_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['process_id', 'digest']).doNothing())
        .execute();
    },
  };
}

export type ReceivedMessageStore = ReturnType<typeof receivedMessageStore>;
