import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../contracts/audit/events.ts';
import { createAuditTrail, parseExport } from '../../connector/audit/trail.ts';
import { createLogger } from '../../connector/logger.ts';
import { auditStore } from '../../connector/storage/audit-store.ts';
import { openDatabase } from '../../connector/storage/database.ts';
import { tempDir } from '../support/connectors.ts';
import { until } from '../support/wait.ts';

const did = 'did:web:hospital.example';
const keys = generateKeyPairSync('ed25519');
const logger = createLogger({ level: 'silent' });
const started = (n: number): AuditEvent => ({
  type: 'transfer.started',
  actor: 'connector',
  subjects: { transferId: `t-${n}`, agreementId: 'a-1' },
  details: { role: 'provider', counterpartyDid: 'did:web:lab.example', datasetId: 'ds-1', transferType: 'HttpData-PULL' },
});

async function trailOn(options: { checkpointEverySeconds?: number; checkpointEveryEntries?: number }) {
  const database = await openDatabase('sqlite', tempDir());
  const trail = createAuditTrail({
    store: auditStore(database.db, database.dialect),
    did,
    keyId: `${did}#key-1`,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    logger,
    ...options,
  });
  return { database, trail };
}

describe('the audit trail service', () => {
  it('signs a checkpoint once checkpointEveryEntries entries followed the last one', async () => {
    const { database, trail } = await trailOn({ checkpointEverySeconds: 0, checkpointEveryEntries: 3 });
    for (let n = 1; n <= 3; n++) await trail.record(undefined, started(n));
    await until(
      'a checkpoint',
      () => trail.store.checkpoints(),
      (c) => c.length === 1,
    );
    await trail.record(undefined, started(4));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await trail.store.checkpoints()).map((c) => c.sequence)).toEqual([3]);
    await trail.close();
    expect((await trail.store.checkpoints()).map((c) => c.sequence)).toEqual([3, 4]);
    expect(await trail.verify()).toMatchObject({ ok: true, entries: 4, checkpoints: 2, signedThrough: 4 });
    await database.close();
  });

  it('signs on its timer while entries come, and never the same head twice', async () => {
    const { database, trail } = await trailOn({ checkpointEverySeconds: 0.05, checkpointEveryEntries: 0 });
    await trail.record(undefined, started(1));
    await until(
      'a checkpoint',
      () => trail.store.checkpoints(),
      (c) => c.length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await trail.checkpoint()).toBeUndefined();
    expect(await trail.store.checkpoints()).toHaveLength(1);
    await trail.close();
    expect(await trail.store.checkpoints()).toHaveLength(1);
    await database.close();
  });

  it('an entry recorded in a transaction that rolls back leaves the chain as it was', async () => {
    const { database, trail } = await trailOn({ checkpointEverySeconds: 0, checkpointEveryEntries: 0 });
    await trail.record(undefined, started(1));
    const failed = database.db.transaction().execute(async (trx) => {
      await trail.record(trx, started(2));
      throw new Error('state change failed');
    });
    await expect(failed).rejects.toThrow('state change failed');
    await trail.record(undefined, started(3));
    expect((await trail.store.entries()).map((e) => e.subjects.transferId)).toEqual(['t-1', 't-3']);
    expect((await trail.verify()).ok).toBe(true);
    await database.close();
  });

  it('refuses an event carrying a secret, and records nothing', async () => {
    const { database, trail } = await trailOn({ checkpointEverySeconds: 0 });
    const leaky = { ...started(1), details: { ...started(1).details, accessToken: 'eyJ…' } } as unknown as AuditEvent;
    await expect(trail.record(undefined, leaky)).rejects.toThrow(/secret/);
    expect(await trail.store.head()).toMatchObject({ sequence: 0 });
    await database.close();
  });

  it('exports entries and checkpoints as JSON lines that read back', async () => {
    const { database, trail } = await trailOn({ checkpointEverySeconds: 0, checkpointEveryEntries: 0 });
    await trail.record(undefined, started(1));
    await trail.checkpoint();
    await trail.record(undefined, started(2));
    let text = '';
    for await (const line of trail.export()) text += line;
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => Object.keys(JSON.parse(l))[0]),
    ).toEqual(['entry', 'checkpoint', 'entry']);
    expect(parseExport(text).entries).toEqual(await trail.store.entries());
    expect(() => parseExport('{"entry":{}}\nnot json')).toThrow('Line 2 of the export is not JSON');
    await database.close();
  });
});
