import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type ConnectorDatabase } from '../../connector/storage/database.ts';
import { outboxStore } from '../../connector/storage/outbox-store.ts';
import { createOutbox, type DeliveryHandlers, type OutboxOptions } from '../../connector/outbox/outbox-worker.ts';
import { dspFetchWith } from '../../connector/http/dsp-client.ts';
import { createLogger } from '../../connector/logger.ts';
import { MetricsRegistry } from '../../connector/http/metrics.ts';
import { POSTGRES_URL, freshPostgresSchemaUrl } from '../support/database.ts';
import { startFakePeer } from '../support/peer.ts';
import { tempDir } from '../support/connectors.ts';
import { until } from '../support/wait.ts';

const postgres = POSTGRES_URL;
const dialects: [string, () => Promise<string>][] = [['SQLite', async () => join(tempDir(), 'outbox.db')]];
if (postgres) dialects.push(['PostgreSQL', () => freshPostgresSchemaUrl(postgres)]);

const FAST: OutboxOptions = { pollMs: 20, retryBaseMs: 10, retryMaxMs: 40 };

function outboxOn(database: ConnectorDatabase, options: OutboxOptions = FAST) {
  const store = outboxStore(database.db, database.dialect);
  const outbox = createOutbox({ store, dspFetch: dspFetchWith(async () => undefined), logger: createLogger({ level: 'silent' }), metrics: new MetricsRegistry() }, options);
  return { store, outbox };
}

function message(peerUrl: string, processId: string, n: number, deadlineMs = 60_000) {
  return {
    kind: 'test',
    processId,
    messageType: 'TestMessage',
    url: `${peerUrl}/messages`,
    audienceDid: 'did:web:127.0.0.1%3A1',
    body: { processId, n },
    deadline: new Date(Date.now() + deadlineMs),
  };
}

/** Waits (up to `timeoutMs`, polling every 10 ms) until `condition` holds. */
const waitUntil = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) => until('condition', condition, Boolean, { timeoutMs, pollMs: 10 });

describe.each(dialects)('outbox on %s', (_name, location) => {
  it('delivers messages of one process in order and hands the response to the owner', async () => {
    const peer = await startFakePeer((r) => ({ status: 200, body: JSON.stringify({ echoed: JSON.parse(r.body).n }) }));
    const database = await openDatabase(await location(), tempDir());
    const { outbox, store } = outboxOn(database);
    const responses: unknown[] = [];
    outbox.handle('test', { delivered: async (_m, response) => void responses.push(response.body) });
    for (let n = 1; n <= 5; n++) await outbox.enqueue(database.db, message(peer.url, 'p1', n));
    outbox.start();
    await waitUntil(async () => (await store.countPending()) === 0);
    await outbox.stop();
    expect(peer.requests.map((r) => JSON.parse(r.body).n)).toEqual([1, 2, 3, 4, 5]);
    expect(responses).toEqual([1, 2, 3, 4, 5].map((n) => ({ echoed: n })));
    expect(peer.requests[0]!.headers['content-type']).toBe('application/json');
    await database.close();
  });

  it('retries a peer that fails or is unreachable, with back-off, until it answers', async () => {
    const peer = await startFakePeer((_r, i) => (i < 3 ? { status: 503 } : { status: 200 }));
    const database = await openDatabase(await location(), tempDir());
    const { outbox, store } = outboxOn(database);
    await outbox.enqueue(database.db, message(peer.url, 'p1', 1));
    outbox.start();
    await waitUntil(async () => (await store.countPending()) === 0);
    await outbox.stop();
    const [row] = await store.list({ processId: 'p1' });
    expect(row).toMatchObject({ state: 'sent', attempts: 4, response_status: 200 });
    expect(peer.requests).toHaveLength(4);
    await database.close();
  });

  it('a refused message counts as delivered when the capability finds the peer already past it', async () => {
    const peer = await startFakePeer(() => ({ status: 400, body: JSON.stringify({ '@type': 'ContractNegotiationError', code: 'WrongState', reason: ['already VERIFIED'] }) }));
    const database = await openDatabase(await location(), tempDir());
    const { outbox, store } = outboxOn(database);
    const asked: string[] = [];
    const gaveUp: string[] = [];
    outbox.handle('test', {
      refused: async (m) => {
        asked.push(m.processId);
        return m.processId === 'past' ? 'delivered' : 'refused';
      },
      gaveUp: async (m) => void gaveUp.push(m.processId),
    });
    await outbox.enqueue(database.db, message(peer.url, 'past', 1));
    await outbox.enqueue(database.db, message(peer.url, 'behind', 1));
    outbox.start();
    await waitUntil(() => asked.length === 2 && gaveUp.length === 1);
    await outbox.stop();
    expect(gaveUp).toEqual(['behind']);
    expect((await store.list({ state: 'sent' })).map((m) => m.process_id)).toEqual(['past']);
    await database.close();
  });

  it("gives up at once when the peer refuses the message, recording the DSP error code but never the peer's reason text", async () => {
    const peer = await startFakePeer(() => ({
      status: 400,
      body: JSON.stringify({ '@type': 'ContractNegotiationError', code: 'WrongState', reason: ['negotiation is FINALIZED'] }),
    }));
    const database = await openDatabase(await location(), tempDir());
    const { outbox, store } = outboxOn(database);
    const gaveUp: string[] = [];
    outbox.handle('test', { gaveUp: async (_m, reason) => void gaveUp.push(reason) });
    await outbox.enqueue(database.db, message(peer.url, 'p1', 1));
    await outbox.enqueue(database.db, message(peer.url, 'p2', 1));
    outbox.start();
    await waitUntil(() => gaveUp.length === 2);
    await outbox.stop();
    expect(gaveUp[0]).toBe('peer answered 400 (WrongState)');
    expect(peer.requests).toHaveLength(2);
    expect((await store.list({ state: 'failed' })).length).toBe(2);
    await database.close();
  });

  it('gives up when the deadline passes without a delivery', async () => {
    const peer = await startFakePeer(() => ({ status: 200 }));
    await peer.close();
    const database = await openDatabase(await location(), tempDir());
    const { outbox } = outboxOn(database);
    const gaveUp: string[] = [];
    outbox.handle('test', { gaveUp: async (_m, reason) => void gaveUp.push(reason) });
    await outbox.enqueue(database.db, message(peer.url, 'p1', 1, 300));
    outbox.start();
    await waitUntil(() => gaveUp.length === 1);
    await outbox.stop();
    expect(gaveUp[0]).toMatch(/^no successful delivery before the deadline; last error: /);
    await database.close();
  });

  it('sends what was enqueued before a restart', async () => {
    const peer = await startFakePeer(() => ({ status: 200 }));
    const where = await location();
    const dataDir = tempDir();
    const first = await openDatabase(where, dataDir);
    await outboxOn(first).outbox.enqueue(first.db, message(peer.url, 'p1', 1));
    await first.close();
    expect(peer.requests).toHaveLength(0);
    const second = await openDatabase(where, dataDir);
    const { outbox, store } = outboxOn(second);
    outbox.start();
    await waitUntil(async () => (await store.countPending()) === 0);
    await outbox.stop();
    expect(peer.requests).toHaveLength(1);
    await second.close();
  });

  it('a sender restarted after a crash takes back its own leases at once; another sender waits them out', async () => {
    const peer = await startFakePeer(() => ({ status: 200 }));
    const where = await location();
    const dataDir = tempDir();
    const crashed = await openDatabase(where, dataDir);
    const before = outboxOn(crashed, { ...FAST, owner: 'host-a', leaseMs: 60_000 });
    await before.outbox.enqueue(crashed.db, message(peer.url, 'p1', 1));
    // The process dies holding the lease: claimed, never marked.
    expect(await before.store.claimDue('host-a', 10, new Date(), new Date(Date.now() + 60_000))).toHaveLength(1);
    await crashed.close();
    const reopened = await openDatabase(where, dataDir);
    const other = outboxOn(reopened, { ...FAST, owner: 'host-b' });
    expect(await other.outbox.runOnce()).toBe(0);
    const restarted = outboxOn(reopened, { ...FAST, owner: 'host-a' });
    expect(await restarted.outbox.runOnce()).toBe(1);
    expect(peer.requests).toHaveLength(1);
    await reopened.close();
  });

  it('two senders sharing the database never send the same message twice, and keep each process in order', async () => {
    const peer = await startFakePeer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return { status: 200 };
    });
    const where = await location();
    const dataDir = tempDir();
    const a = await openDatabase(where, dataDir);
    const b = await openDatabase(where, dataDir);
    const senderA = outboxOn(a, { ...FAST, owner: 'A', batchSize: 7 });
    const senderB = outboxOn(b, { ...FAST, owner: 'B', batchSize: 5 });
    for (let n = 1; n <= 8; n++) for (let p = 1; p <= 20; p++) await senderA.store.enqueue(a.db, message(peer.url, `p${p}`, n));
    const deliveredBy = { A: 0, B: 0 };
    const countFor = (sender: 'A' | 'B'): DeliveryHandlers => ({ delivered: async () => void deliveredBy[sender]++ });
    senderA.outbox.handle('test', countFor('A'));
    senderB.outbox.handle('test', countFor('B'));
    senderA.outbox.start();
    senderB.outbox.start();
    await waitUntil(async () => (await senderA.store.countPending()) === 0, 30_000);
    await Promise.all([senderA.outbox.stop(), senderB.outbox.stop()]);
    const bodies = peer.requests.map((r) => JSON.parse(r.body) as { processId: string; n: number });
    expect(bodies).toHaveLength(160);
    expect(new Set(bodies.map((x) => `${x.processId}/${x.n}`)).size).toBe(160);
    for (let p = 1; p <= 20; p++) expect(bodies.filter((x) => x.processId === `p${p}`).map((x) => x.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(deliveredBy.A + deliveredBy.B).toBe(160);
    expect(deliveredBy.A).toBeGreaterThan(0);
    expect(deliveredBy.B).toBeGreaterThan(0);
    const owners = new Set((await senderA.store.list({ state: 'sent' })).map((r) => r.lease_owner));
    expect(owners).toEqual(new Set([null]));
    await a.close();
    await b.close();
  });
});
