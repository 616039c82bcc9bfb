import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';
import type { SecretSealer } from './sealed-secrets.ts';

export type OutboxState = 'pending' | 'sent' | 'failed';

export interface OutboxTable {
  id: string;
  kind: string;
  process_id: string;
  message_type: string;
  url: string;
  audience_did: string;
  body: string;
  scopes: string;
  /** Sealed (storage/sealed-secrets.ts): the access token its ID token carries; cleared once finished. */
  access_token: string | null;
  state: OutboxState;
  attempts: number;
  next_attempt_at: string;
  deadline_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  response_status: number | null;
  created_at: string;
  finished_at: string | null;
}

export interface OutboxTables {
  outbox: OutboxTable;
}

export interface NewOutboxMessage {
  /** The capability that owns the message ("negotiation", "transfer"): picks the delivery handlers. */
  kind: string;
  /** The local process the message belongs to; messages of one process are sent in order. */
  processId: string;
  messageType: string;
  url: string;
  audienceDid: string;
  body: unknown;
  scopes?: string[];
  /** A peer's access token to hand back in the message's ID token (kept sealed until it is sent). */
  accessToken?: string;
  /** Earliest send time (default now). */
  notBefore?: Date;
  /** After this, a message still not delivered is given up. */
  deadline: Date;
}

/** A message as the sender sees it once stored. */
export interface OutboxMessage extends Omit<NewOutboxMessage, 'notBefore' | 'deadline' | 'scopes'> {
  id: string;
  scopes: string[];
  attempts: number;
  deadlineAt: string;
}

/**
 * The body as kept once a message is finished: every DSP EndpointProperty named `authorization` (a bearer
 * token in a DataAddress) blanked, so no secret stays at rest in the outbox after it was sent or given up.
 */
export function withoutSecrets(body: string): string {
  if (!body.includes('"authorization"')) return body;
  const scrub = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(scrub);
    if (!value || typeof value !== 'object') return value;
    const node = value as Record<string, unknown>;
    if (node.name === 'authorization' && 'value' in node) return { ...node, value: '(removed once sent)' };
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, scrub(v)]));
  };
  return JSON.stringify(scrub(JSON.parse(body)));
}

function sealedWith(sealer: SecretSealer | undefined, token: string): string {
  if (!sealer) throw new Error('this outbox cannot keep access tokens: it was opened without a sealer');
  return sealer.seal(token);
}

let counter = 0;
/** Ids sort by creation time (hex milliseconds, then a counter), so "oldest first" is "smallest id". */
function outboxId(now: Date): string {
  counter = (counter + 1) % 0xffffff;
  return `${now.getTime().toString(16).padStart(12, '0')}${counter.toString(16).padStart(6, '0')}${randomBytes(5).toString('hex')}`;
}

function toMessage(row: OutboxTable, sealer: SecretSealer | undefined): OutboxMessage {
  const accessToken = row.access_token ? sealer?.open(row.access_token) : undefined;
  return {
    ...(accessToken ? { accessToken } : {}),
    id: row.id,
    kind: row.kind,
    processId: row.process_id,
    messageType: row.message_type,
    url: row.url,
    audienceDid: row.audience_did,
    body: JSON.parse(row.body),
    scopes: JSON.parse(row.scopes),
    attempts: Number(row.attempts),
    deadlineAt: row.deadline_at,
  };
}

/**
 * The outbox table with leases: a sender claims due messages for a while, so two processes sharing a
 * database never send the same message at once (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite serialises
 * writers). Only the oldest pending message of a process is due, which keeps each process in order.
 */
export function outboxStore(db: Kysely<Database>, dialect: Dialect, sealer?: SecretSealer) {
  /** The finished message's body without its bearer secrets, as a column change (none when it holds none). */
  async function scrubbedBody(id: string): Promise<{ body?: string }> {
    const row = await db.selectFrom('outbox').select('body').where('id', '=', id).executeTakeFirst();
    const scrubbed = row && withoutSecrets(row.body);
    return scrubbed !== undefined && scrubbed !== row?.body ? { body: scrubbed } : {};
  }

  return {
    /** Adds a message inside the caller's transaction, next to the state change it announces. */
    async enqueue(trx: Kysely<Database> | Transaction<Database>, message: NewOutboxMessage, now = new Date()): Promise<string> {
      const id = outboxId(now);
      await trx
        .insertInto('outbox')
        .values({
          id,
          kind: message.kind,
          process_id: message.processId,
          message_type: message.messageType,
          url: message.url,
          audience_did: message.audienceDid,
          body: JSON.stringify(message.body),
          scopes: JSON.stringify(message.scopes ?? []),
          access_token: message.accessToken ? sealedWith(sealer, message.accessToken) : null,
          state: 'pending',
          attempts: 0,
          next_attempt_at: (message.notBefore ?? now).toISOString(),
          deadline_at: message.deadline.toISOString(),
          lease_owner: null,
          lease_until: null,
          last_error: null,
          response_status: null,
          created_at: now.toISOString(),
          finished_at: null,
        })
        .execute();
      return id;
    },

    /**
     * Claims up to `limit` due messages for `owner` until `leaseUntil`: unleased ones, ones whose lease ran
     * out, and ones `owner` itself still holds (a restarted process reclaims what it held when it died, since
     * one sender runs one round at a time).
     */
    async claimDue(owner: string, limit: number, now: Date, leaseUntil: Date): Promise<OutboxMessage[]> {
      const nowIso = now.toISOString();
      const due = db
        .selectFrom('outbox as o')
        .select('o.id')
        .where('o.state', '=', 'pending')
        .where('o.next_attempt_at', '<=', nowIso)
        .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<', nowIso), eb('o.lease_owner', '=', owner)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('outbox as earlier')
                .select(sql`1`.as('one'))
                .whereRef('earlier.process_id', '=', 'o.process_id')
                .where('earlier.state', '=', 'pending')
                .whereRef('earlier.id', '<', 'o.id'),
            ),
          ),
        )
        .orderBy('o.id')
        .limit(limit)
        .$if(dialect === 'postgres', (qb) => qb.forUpdate().skipLocked());
      const rows = await db
        .updateTable('outbox')
        .set({ lease_owner: owner, lease_until: leaseUntil.toISOString() })
        .where('id', 'in', due)
        .where('state', '=', 'pending')
        .returningAll()
        .execute();
      return rows.sort((a, b) => a.id.localeCompare(b.id)).map((row) => toMessage(row, sealer));
    },

    async markSent(id: string, owner: string, status: number, now: Date): Promise<boolean> {
      const body = await scrubbedBody(id);
      const result = await db
        .updateTable('outbox')
        .set({
          ...body,
          access_token: null,
          state: 'sent',
          response_status: status,
          finished_at: now.toISOString(),
          lease_owner: null,
          lease_until: null,
          attempts: sql`attempts + 1`,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async markRetry(id: string, owner: string, error: string, status: number | null, nextAttemptAt: Date): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ last_error: error, response_status: status, next_attempt_at: nextAttemptAt.toISOString(), lease_owner: null, lease_until: null, attempts: sql`attempts + 1` })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    async markFailed(id: string, owner: string, error: string, status: number | null, now: Date): Promise<boolean> {
      const body = await scrubbedBody(id);
      const result = await db
        .updateTable('outbox')
        .set({
          ...body,
          access_token: null,
          state: 'failed',
          last_error: error,
          response_status: status,
          finished_at: now.toISOString(),
          lease_owner: null,
          lease_until: null,
          attempts: sql`attempts + 1`,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Gives up every pending message of a process (it was terminated locally). */
    async cancelProcess(processId: string, reason: string, now: Date): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ state: 'failed', access_token: null, last_error: reason, finished_at: now.toISOString(), lease_owner: null, lease_until: null })
        .where('process_id', '=', processId)
        .where('state', '=', 'pending')
        .execute();
    },

    async list(filter: { processId?: string; state?: OutboxState } = {}) {
      return db
        .selectFrom('outbox')
        .selectAll()
        .$if(filter.processId !== undefined, (qb) => qb.where('process_id', '=', filter.processId!))
        .$if(filter.state !== undefined, (qb) => qb.where('state', '=', filter.state!))
        .orderBy('id')
        .execute();
    },

    async countPending(): Promise<number> {
      const row = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('state', '=', 'pending')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type OutboxStore = ReturnType<typeof outboxStore>;
