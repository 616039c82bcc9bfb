import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startConnectorProcess, type ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import { freePort } from '../../scripts/bench/load.ts';
import { API_KEY_FILE } from '../../connector/server.ts';
import { IDENTITY_KEY_FILE } from '../../connector/identity/keys.ts';
import { freshPostgresSchemaUrl, POSTGRES_URL } from '../support/database.ts';
import { startTcpBalancer } from '../support/tcp-proxy.ts';
import { admitProcess, killHard } from '../support/processes.ts';
import { managementFetch, startTestConnector, tempDir } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit } from '../support/dataspace.ts';
import { until } from '../support/wait.ts';
import { exampleDataset } from '../catalog/support.ts';
import { researchOffer } from './support.ts';

const BATCH = 100;
type Listed = { state: string; reasons: string[]; providerPid?: string | null };
const byState = (l: Listed[]) => JSON.stringify(Object.fromEntries(Object.entries(Object.groupBy(l, (n) => n.state)).map(([k, v]) => [k, v!.length])));

/**
 * Two hospital replicas: one DID and identity key, one public URL (a TCP balancer in front), one PostgreSQL
 * database and data root. Each claims work with its own lease owner; when one dies, the other takes its work over.
 */
async function hospitalReplicas(authorityDid: string) {
  const database = await freshPostgresSchemaUrl(POSTGRES_URL!);
  const folders = [tempDir('hdc-replica-a-'), tempDir('hdc-replica-b-')];
  const ports = [await freePort(), await freePort()];
  const balancer = await startTcpBalancer(() => ports);
  const dataRoot = tempDir('hdc-replica-data-');
  const config = (i: number) => ({
    name: `hospital-replica-${'ab'[i]}`,
    role: 'hospital' as const,
    port: ports[i]!,
    publicUrl: `http://127.0.0.1:${balancer.port}`,
    dataDir: 'data',
    dataRoot,
    database,
    logLevel: 'info' as const,
    catalogCrawlIntervalSeconds: 0,
    workLeaseSeconds: 3,
    trustedIssuers: [{ did: authorityDid, credentialTypes: ['*'] }],
    statusListCacheTtlSeconds: 0,
  });
  const start = (i: number) => startConnectorProcess(folders[i]!, config(i), { ...process.env, DATABASE_URL: database });
  const first = await start(0);
  // The second replica is the same participant: same identity key and management key.
  mkdirSync(join(folders[1]!, 'data', 'keys'), { recursive: true, mode: 0o700 });
  for (const file of [IDENTITY_KEY_FILE, API_KEY_FILE]) copyFileSync(join(folders[0]!, 'data', file), join(folders[1]!, 'data', file));
  const replicas: ConnectorProcess[] = [first, await start(1)];
  return { replicas, start, dataRoot, balancer, alive: () => replicas.find((r) => r.child.exitCode === null && r.child.signalCode === null)! };
}

describe.runIf(POSTGRES_URL)('two provider replicas sharing one PostgreSQL database', () => {
  it(`${BATCH} negotiations, then ${BATCH} transfers, each batch surviving kill -9 of one replica`, async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const hospital = await hospitalReplicas(authority.did);
    const institute = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    try {
      const [a, b] = hospital.replicas as [ConnectorProcess, ConnectorProcess];
      expect(b.did).toBe(a.did);
      const offer = researchOffer();
      const added = await a.api.post<{ id: string }>('/datasets', exampleDataset({ dataRoot: hospital.dataRoot }, { offers: [offer] }));
      await admitProcess(authority, a, 'hospital');
      await admit(authority, institute, 'research-institute');
      await grantPermit(authority, institute);
      await collectCredentials(institute, authority);
      const list = async <T>(path: string, key: string) => (await jsonOf(await managementFetch(institute, path)))[key] as T[];

      const body = JSON.stringify({ providerDid: a.did, providerAddress: `${a.url}/dsp/2025-1`, offer: { ...offer, target: added.id } });
      await Promise.all(Array.from({ length: BATCH }, () => managementFetch(institute, '/negotiations', { method: 'POST', body })));
      await until(
        '40 % finalized',
        () => list<Listed>('/negotiations', 'negotiations'),
        (l) => l.filter((n) => n.state === 'FINALIZED').length >= 0.4 * BATCH,
        { timeoutMs: 60_000, pollMs: 50 },
      );
      await killHard(a);
      const negotiations = await until(
        'negotiations settled',
        () => list<Listed>('/negotiations', 'negotiations'),
        (l) => l.every((n) => n.state === 'FINALIZED' || n.state === 'TERMINATED'),
        { timeoutMs: 90_000, pollMs: 200, show: byState },
      );
      expect(negotiations.filter((n) => n.state !== 'FINALIZED').map((n) => n.reasons)).toEqual([]);
      await until(
        'provider negotiations finalized',
        async () => (await b.api.get<{ negotiations: Listed[] }>('/negotiations')).negotiations,
        (l) => l.filter((n) => n.state === 'FINALIZED').length === BATCH,
        { timeoutMs: 60_000, pollMs: 200, show: byState },
      );

      hospital.replicas[0] = await hospital.start(0);
      const agreementId = (await jsonOf(await managementFetch(institute, '/agreements'))).agreements[0].id;
      await Promise.all(
        Array.from({ length: BATCH }, () => managementFetch(institute, '/transfers', { method: 'POST', body: JSON.stringify({ agreementId, format: 'HttpData-PULL' }) })),
      );
      await until(
        '40 % completed',
        () => list<Listed>('/transfers', 'transfers'),
        (l) => l.filter((t) => t.state === 'COMPLETED').length >= 0.4 * BATCH,
        { timeoutMs: 60_000, pollMs: 50 },
      );
      await killHard(b);
      const transfers = await until(
        'transfers settled',
        () => list<Listed & { digest: string }>('/transfers', 'transfers'),
        (l) => l.every((t) => t.state === 'COMPLETED' || t.state === 'TERMINATED'),
        { timeoutMs: 90_000, pollMs: 200, show: byState },
      );
      expect(transfers.filter((t) => t.state !== 'COMPLETED').map((t) => t.reasons)).toEqual([]);
      expect(new Set(transfers.map((t) => t.digest)).size).toBe(1);
      // The consumers' completion messages reach the provider through whichever replica is alive.
      const served = await until(
        'provider transfers completed',
        async () => (await hospital.alive().api.get<{ transfers: (Listed & { digest: string })[] }>('/transfers')).transfers,
        (l) => l.filter((t) => t.state === 'COMPLETED').length === BATCH,
        { timeoutMs: 60_000, pollMs: 200, show: byState },
      );
      expect(served[0]!.digest).toBe(transfers[0]!.digest);
    } finally {
      for (const replica of hospital.replicas) if (replica.child.exitCode === null && replica.child.signalCode === null) await replica.stop();
      await hospital.balancer.close();
    }
  }, 400_000);
});
