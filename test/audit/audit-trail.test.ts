import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { beforeAll, describe, expect, it } from 'vitest';
import { GENESIS, verifyChain } from '../../contracts/audit/chain.ts';
import { checkpointSignatureProblem } from '../../contracts/audit/checkpoint.ts';
import type { AuditEvent } from '../../contracts/audit/events.ts';
import { type ConnectorAuditTrail, connectorAuditTrail } from '../../connector/audit/connector-trail.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { auditStore } from '../../connector/storage/audit-store.ts';
import { openDatabase } from '../../connector/storage/database.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { managementFetch, startTestConnector, tempDir } from '../support/connectors.ts';
import { freshPostgresSchemaUrl, POSTGRES_URL } from '../support/database.ts';
import { jsonOf } from '../support/http.ts';
import { runHdc } from '../support/cli.ts';

const hdc = runHdc;

const LEGAL = { headquartersCountry: 'LU', legalName: 'Centre Hospitalier Test', registrationNumber: { kind: 'vatID', value: 'LU12345678' } };

async function admit(authority: RunningConnector, name: string): Promise<{ id: string }> {
  const body = { did: `did:web:${name}.example`, name, role: 'hospital', dspAddress: `https://${name}.example/dsp/2025-1`, ...LEGAL };
  const response = await managementFetch(authority, '/members', { method: 'POST', body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await jsonOf(response)).credential;
}

describe('the audit trail of a running connector', () => {
  const dir = tempDir('hdc-audit-');
  const dataDir = join(dir, 'data');
  const keyFile = join(dir, 'api-key');
  let authority: RunningConnector;
  let trail: ConnectorAuditTrail;
  let api: { url: string };
  let revokedId: string;
  const online = () => hdc('audit', 'verify', '--url', api.url, '--api-key-file', keyFile);
  const offline = () => hdc('audit', 'verify', '--data-dir', dataDir);
  const sqlite = () => new DatabaseSync(join(dataDir, 'connector.db'));

  beforeAll(async () => {
    authority = await startTestConnector({ role: 'governance-authority', dataDir, database: 'sqlite' });
    trail = connectorAuditTrail(authority.ctx);
    api = { url: authority.url };
    writeFileSync(keyFile, authority.ctx.apiKey);
    await admit(authority, 'hospital-a');
    revokedId = (await admit(authority, 'hospital-b')).id;
    const revoke = await managementFetch(authority, `/credentials/${encodeURIComponent(revokedId)}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'left the dataspace' }),
    });
    expect(revoke.status).toBe(200);
    await trail.checkpoint();
    await admit(authority, 'hospital-c');
  });

  it('records the authority: members admitted, credentials issued and revoked, with the operator as actor', async () => {
    const { entries } = await jsonOf(await fetch(`${api.url}/api/audit`, { headers: { authorization: `Bearer ${authority.ctx.apiKey}` } }));
    expect(entries.map((e: { type: string }) => e.type)).toEqual([
      'member.admitted',
      'credential.issued',
      'member.admitted',
      'credential.issued',
      'credential.revoked',
      'member.admitted',
      'credential.issued',
    ]);
    expect(entries.map((e: { sequence: number }) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(entries[4]).toMatchObject({
      actor: 'operator',
      category: 'credential',
      subjects: { credentialId: revokedId, memberDid: 'did:web:hospital-b.example' },
      details: { reason: 'left the dataspace' },
    });
    expect(JSON.stringify(entries)).not.toContain('proofValue');
  });

  it('filters by subject id and by event type, a page at a time', async () => {
    const get = async (query: string) => jsonOf(await fetch(`${api.url}/api/audit?${query}`, { headers: { authorization: `Bearer ${authority.ctx.apiKey}` } }));
    const bySubject = await get(`subject=${encodeURIComponent(revokedId)}`);
    expect(bySubject.entries.map((e: { type: string }) => e.type)).toEqual(['credential.issued', 'credential.revoked']);
    const page = await get('type=member.admitted&limit=2');
    expect(page.entries.map((e: { sequence: number }) => e.sequence)).toEqual([1, 3]);
    expect((await get(`type=member.admitted&after=${page.next}`)).entries.map((e: { sequence: number }) => e.sequence)).toEqual([6]);
    const bad = await fetch(`${api.url}/api/audit?type=nothing.happened`, { headers: { authorization: `Bearer ${authority.ctx.apiKey}` } });
    expect(bad.status).toBe(400);
    expect((await fetch(`${api.url}/api/audit`)).status).toBe(401);
    const { paths } = await jsonOf(await fetch(`${authority.url}/api/openapi.json`));
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/audit', '/audit/verify', '/audit/export']));
    expect(paths['/audit'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['after', 'limit', 'subject', 'type']);
  });

  it("signs checkpoints with the connector's DID key, as its DID document publishes it", async () => {
    const [checkpoint] = await trail.store.checkpoints();
    const didDocument = await jsonOf(await fetch(`${authority.url}/.well-known/did.json`));
    const method = didDocument.verificationMethod.find((m: { id: string }) => m.id === checkpoint!.keyId);
    expect(checkpoint).toMatchObject({ sequence: 5, did: authority.did, keyId: `${authority.did}#key-1` });
    const x = Buffer.from(decodeMultikey(method.publicKeyMultibase, ED25519_PUBLIC_HEADER)).toString('base64url');
    expect(await checkpointSignatureProblem(checkpoint!, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }))).toBeUndefined();
  });

  it('hdc audit verify exits 0 online and offline, and an export verifies too', async () => {
    const run = await online();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('is intact: 7 entries, 1 signed checkpoint(s)');
    expect(run.stdout).toContain('Entries 6–7 are hash-chained but not yet covered by a signed checkpoint');
    const local = await offline();
    expect(local.status, local.stderr).toBe(0);
    expect(local.stdout).toContain('is intact: 7 entries');
    const exported = join(dir, 'audit.jsonl');
    expect((await hdc('audit', 'export', '--url', api.url, '--api-key-file', keyFile, '--out', exported)).status).toBe(0);
    const lines = readFileSync(exported, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(JSON.parse(lines[5]!)).toHaveProperty('checkpoint.sequence', 5);
    expect((await hdc('audit', 'export', '--data-dir', dataDir)).stdout).toBe(`${lines.join('\n')}\n`);
    const withoutKey = await hdc('audit', 'verify', '--file', exported);
    expect(withoutKey.status).toBe(1);
    expect(withoutKey.stdout).toContain('give --public-key');
    const fromFile = await hdc('audit', 'verify', '--file', exported, '--public-key', authority.ctx.key.publicKeyMultibase);
    expect(fromFile.status, fromFile.stdout).toBe(0);
  });

  it('hdc audit verify exits 1 naming the entry that was altered in the database file', async () => {
    const db = sqlite();
    const { details } = db.prepare('select details from audit_entries where sequence = 3').get() as { details: string };
    db.prepare('update audit_entries set details = ? where sequence = 3').run(details.replace('hospital-b', 'hospital-x'));
    try {
      for (const run of [await online(), await offline()]) {
        expect(run.status, run.stderr).toBe(1);
        expect(run.stdout).toContain('is BROKEN at entry 3 (hash-mismatch)');
      }
    } finally {
      db.prepare('update audit_entries set details = ? where sequence = 3').run(details);
      db.close();
    }
    expect((await offline()).status).toBe(0);
  });

  it('refuses a wrong public key, and wrong arguments with exit code 2', async () => {
    const other = (await hdc('init', '--data-dir', join(dir, 'other'), '--public-url', 'https://other.example')).stdout;
    const otherKey = /z6Mk\w+/.exec(other)![0];
    const run = await hdc('audit', 'verify', '--data-dir', dataDir, '--public-key', otherKey);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('BROKEN at entry 5 (checkpoint-signature-invalid)');
    expect((await hdc('audit', 'verify', '--data-dir', dataDir, '--url', api.url)).status).toBe(2);
    expect((await hdc('audit', 'verify', '--data-dir', join(dir, 'nowhere'))).status).toBe(2);
    expect((await hdc('audit', 'frobnicate')).status).toBe(2);
  });

  it('hdc audit verify exits 1 naming the entry that was deleted', async () => {
    const db = sqlite();
    db.prepare('delete from audit_entries where sequence = 4').run();
    db.close();
    for (const run of [await online(), await offline()]) {
      expect(run.status, run.stderr).toBe(1);
      expect(run.stdout).toContain('is BROKEN at entry 4 (sequence-gap): Entry 4 is missing');
    }
  });
});

const revocation = (n: number): AuditEvent => ({
  type: 'credential.revoked',
  actor: 'operator',
  subjects: { credentialId: `urn:uuid:${n}`, memberDid: 'did:web:m.example' },
  details: { reason: `r${n}` },
});

describe('appends from several writers keep one chain', () => {
  it('on one SQLite database, concurrent appends in and outside caller transactions', async () => {
    const { db, dialect, close } = await openDatabase('sqlite', tempDir());
    const store = auditStore(db, dialect);
    await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 ? store.append(undefined, revocation(n)) : db.transaction().execute((trx) => store.append(trx, revocation(n))))));
    const verdict = await verifyChain(store.allEntries(7), [], () => undefined);
    await close();
    expect(verdict).toMatchObject({ ok: true, entries: 40, head: { sequence: 40 } });
  });

  it.skipIf(!POSTGRES_URL)('on PostgreSQL, two replicas appending at once; a rolled-back entry leaves no trace; verified offline', async () => {
    const url = await freshPostgresSchemaUrl(POSTGRES_URL!);
    const replicas = [await openDatabase(url, tempDir()), await openDatabase(url, tempDir())];
    try {
      const stores = replicas.map((r) => auditStore(r.db, r.dialect));
      const rolledBack = replicas[0]!.db
        .transaction()
        .execute(async (trx) => {
          await stores[0]!.append(trx, revocation(999));
          throw new Error('the state change failed');
        })
        .catch((error: Error) => error.message);
      const appends = Array.from({ length: 60 }, (_, n) => {
        const [replica, store] = [replicas[n % 2]!, stores[n % 2]!];
        return n % 3 ? store.append(undefined, revocation(n)) : replica.db.transaction().execute((trx) => store.append(trx, revocation(n)));
      });
      await Promise.all([...appends, rolledBack]);
      expect(await rolledBack).toBe('the state change failed');
      const verdict = await verifyChain(stores[1]!.allEntries(25), [], () => undefined);
      expect(verdict).toMatchObject({ ok: true, entries: 60, head: { sequence: 60 } });
      expect(JSON.stringify(await stores[0]!.entries({ subjectId: 'urn:uuid:999' }))).toBe('[]');
      expect(await stores[0]!.head()).not.toEqual(GENESIS);
      const intact = await hdc('audit', 'verify', '--database', url);
      expect(intact.status, intact.stderr).toBe(0);
      expect(intact.stdout).toContain('is intact: 60 entries');
      await replicas[0]!.db.updateTable('audit_entries').set({ actor: 'connector' }).where('sequence', '=', 17).execute();
      const broken = await hdc('audit', 'verify', '--database', url);
      expect(broken.status).toBe(1);
      expect(broken.stdout).toContain('BROKEN at entry 17 (hash-mismatch)');
    } finally {
      for (const replica of replicas) await replica.close();
    }
  });
});
