import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { DspFetch } from '../http/dsp-client.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from '../http/metrics.ts';
import type { Database } from '../storage/schema.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import type { NewOutboxMessage, OutboxMessage, OutboxStore } from '../storage/outbox-store.ts';

/**
 * Sends the outbox: claims due messages with a lease, delivers them through ctx.dspFetch, retries with
 * exponential back-off and jitter, and gives up (telling the owning capability why) when the peer refuses
 * the message for good or its deadline passes. Survives restarts: everything it needs is in the table.
 */

export interface DeliveryHandlers {
  /** The peer accepted the message (2xx). Runs before the message is marked sent: if it throws, the message is retried. */
  delivered?(message: OutboxMessage, response: { status: number; body: unknown }): Promise<void>;
  /**
   * The peer refused the message (a 4xx other than 408/425/429). The capability re-reads the peer's process:
   * "delivered" when the peer is already past this step (it applied the message, but our sender never saw
   * the answer), "refused" to give up. Throwing retries the message later.
   */
  refused?(message: OutboxMessage, refusal: { status: number; body: unknown }): Promise<'delivered' | 'refused'>;
  /** The message will never be delivered: refused for good (4xx) or past its deadline. Called once. */
  gaveUp?(message: OutboxMessage, reason: string): Promise<void>;
}

export interface OutboxOptions {
  /**
   * Identifies this sender in leases. The connector passes one stable per installation (host and data
   * directory), so after a crash the restarted process takes back its leases at once instead of waiting
   * them out. Default: a random id per start.
   */
  owner?: string;
  pollMs?: number;
  leaseMs?: number;
  batchSize?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => Date;
}

export interface Outbox {
  /** Adds a message in the caller's transaction (state first, message with it), then wakes the sender. */
  enqueue(trx: Kysely<Database> | Transaction<Database>, message: NewOutboxMessage): Promise<string>;
  /** Registers what happens when messages of `kind` are delivered or given up. */
  handle(kind: string, handlers: DeliveryHandlers): void;
  /** Sends due messages now rather than at the next poll. */
  wake(): void;
  /** Runs one claim-and-send round; resolves when it is done (tests and shutdown). */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * What we record of a refusal: the status and the peer's error code only. A peer's reason text is never
 * stored or passed on to anyone (it may carry whatever a hostile or confused peer chose to put there).
 */
function describeRefusal(status: number, body: unknown): string {
  const code = (body as { code?: unknown })?.code;
  return `peer answered ${status}${typeof code === 'string' && /^[\w.:-]{1,40}$/.test(code) ? ` (${code})` : ''}`;
}

/** The peer's answer, bounded: DSP answers are small JSON; anything beyond 1 MiB is not read. */
async function readBody(response: Response): Promise<unknown> {
  const text = await readBoundedText(response, MAX_ANSWER_BYTES);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createOutbox(deps: { store: OutboxStore; dspFetch: DspFetch; logger: Logger; metrics: MetricsRegistry }, options: OutboxOptions = {}): Outbox {
  const owner = options.owner ?? `sender-${randomUUID()}`;
  const pollMs = options.pollMs ?? 250;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 20;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  const handlers = new Map<string, DeliveryHandlers>();
  const sent = deps.metrics.counter('hdc_outbox_sent_total', 'Outgoing protocol messages delivered, by kind and message type');
  const retried = deps.metrics.counter('hdc_outbox_retries_total', 'Delivery attempts that will be retried, by kind');
  const failed = deps.metrics.counter('hdc_outbox_given_up_total', 'Outgoing messages given up, by kind');
  deps.metrics.gauge('hdc_outbox_pending', 'Outgoing messages not yet delivered', () => deps.store.countPending());

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;
  let wakeRequested = false;

  async function giveUp(message: OutboxMessage, reason: string, status: number | null) {
    if (!(await deps.store.markFailed(message.id, owner, reason, status, now()))) return;
    failed.inc({ kind: message.kind });
    deps.logger.warn('outgoing message given up', { kind: message.kind, processId: message.processId, messageType: message.messageType, reason });
    await handlers.get(message.kind)?.gaveUp?.(message, reason);
  }

  async function retryOrGiveUp(message: OutboxMessage, error: string, status: number | null) {
    const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** message.attempts) * (0.75 + Math.random() * 0.5);
    const next = new Date(now().getTime() + delay);
    if (next.toISOString() > message.deadlineAt) {
      await giveUp(message, `no successful delivery before the deadline; last error: ${error}`, status);
      return;
    }
    retried.inc({ kind: message.kind });
    deps.logger.debug('outgoing message will be retried', { kind: message.kind, processId: message.processId, attempt: message.attempts + 1, error });
    await deps.store.markRetry(message.id, owner, error, status, next);
  }

  async function deliver(message: OutboxMessage) {
    let response: Response;
    try {
      response = await deps.dspFetch({
        url: message.url,
        audienceDid: message.audienceDid,
        method: 'POST',
        body: message.body,
        scopes: message.scopes,
        ...(message.accessToken ? { accessToken: message.accessToken } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
      return retryOrGiveUp(message, cause, null);
    }
    const body = await readBody(response).catch(() => undefined);
    if (response.ok) {
      try {
        await handlers.get(message.kind)?.delivered?.(message, { status: response.status, body });
      } catch (error) {
        deps.logger.error('delivery handler failed; the message will be sent again', { kind: message.kind, processId: message.processId, error });
        return retryOrGiveUp(message, `delivery handler failed: ${(error as Error).message}`, response.status);
      }
      if (await deps.store.markSent(message.id, owner, response.status, now())) sent.inc({ kind: message.kind, type: message.messageType });
      return;
    }
    if (response.status >= 500 || RETRYABLE_STATUS.has(response.status)) return retryOrGiveUp(message, describeRefusal(response.status, body), response.status);
    const refused = handlers.get(message.kind)?.refused;
    if (refused) {
      let verdict: 'delivered' | 'refused';
      try {
        verdict = await refused(message, { status: response.status, body });
      } catch (error) {
        return retryOrGiveUp(message, `the peer refused (${response.status}) and its state could not be read: ${(error as Error).message}`, response.status);
      }
      if (verdict === 'delivered') {
        if (await deps.store.markSent(message.id, owner, response.status, now())) sent.inc({ kind: message.kind, type: message.messageType });
        deps.logger.info('outgoing message refused, but the peer is already past it', {
          kind: message.kind,
          processId: message.processId,
          messageType: message.messageType,
          status: response.status,
        });
        return;
      }
    }
    return giveUp(message, describeRefusal(response.status, body), response.status);
  }

  async function runOnce(): Promise<number> {
    const at = now();
    const due = await deps.store.claimDue(owner, batchSize, at, new Date(at.getTime() + leaseMs));
    // Only the oldest pending message of each process is claimed, so the batch can go out in parallel.
    await Promise.all(due.map((message) => deliver(message).catch((error) => deps.logger.error('outbox delivery failed', { messageId: message.id, error }))));
    return due.length;
  }

  function schedule(delay: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
  }

  function tick() {
    if (running || stopped) {
      wakeRequested = true;
      return;
    }
    running = runOnce()
      .catch((error) => {
        deps.logger.error('outbox round failed', { error });
        return 0;
      })
      .finally(() => {
        running = undefined;
        const again = wakeRequested;
        wakeRequested = false;
        schedule(again ? 0 : pollMs);
      });
  }

  return {
    async enqueue(trx, message) {
      const id = await deps.store.enqueue(trx, message, now());
      // The caller's transaction may not have committed yet; a short delay lets it land first.
      const wait = Math.max(10, (message.notBefore?.getTime() ?? 0) - Date.now());
      if (!stopped) setTimeout(() => tick(), wait).unref();
      return id;
    },
    handle(kind, h) {
      handlers.set(kind, h);
    },
    wake: () => tick(),
    runOnce,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
