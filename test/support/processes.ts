import { expect } from 'vitest';
import { join } from 'node:path';
import { startConnectorProcess, type ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import { freePort } from '../../scripts/bench/load.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch, tempDir } from './connectors.ts';
import { grantPermit } from './dataspace.ts';
import { until } from './wait.ts';

/** A connector in its own process, restartable on the same port (same DID) and data directory. */
export async function processConnector(role: 'hospital' | 'research-institute', authority: RunningConnector) {
  const folder = tempDir('hdc-crash-');
  const port = await freePort();
  const config = {
    name: `${role}-process`,
    role,
    port,
    dataDir: 'data',
    logLevel: 'info' as const,
    catalogCrawlIntervalSeconds: 0,
    trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }],
    statusListCacheTtlSeconds: 0,
  };
  const start = () => startConnectorProcess(folder, config, { ...process.env, DATABASE_URL: '' });
  return { start, folder, dataRoot: join(folder, 'data', 'datasets') };
}

export async function admitProcess(authority: RunningConnector, member: ConnectorProcess, role: 'hospital' | 'research-institute') {
  const response = await managementFetch(authority, '/members', {
    method: 'POST',
    body: JSON.stringify({
      did: member.did,
      name: member.name,
      role,
      dspAddress: `${member.url}/dsp/2025-1`,
      legalName: member.name,
      registrationNumber: { kind: 'local', value: member.name },
      headquartersCountry: 'LU',
    }),
  });
  expect(response.status).toBe(201);
}

/** The authority admits a research institute running as a process and grants it a permit; it collects both. */
export async function onboardInstituteProcess(authority: RunningConnector, institute: ConnectorProcess): Promise<void> {
  await admitProcess(authority, institute, 'research-institute');
  await grantPermit(authority, { did: institute.did } as RunningConnector);
  await institute.api.post('/wallet/request', { authorityDid: authority.did });
}

/** kill -9, and wait until the process is gone. */
export async function killHard(connector: ConnectorProcess): Promise<void> {
  connector.child.kill('SIGKILL');
  await new Promise((resolve) => connector.child.once('exit', resolve));
}

/** A connector process that a test kills and restarts; `current` is the running one. */
export interface Restartable {
  current: ConnectorProcess;
  start(): Promise<ConnectorProcess>;
}

/**
 * Kills `connector` with SIGKILL at each share of `total` (0: at once), judged by `done()`, restarting it each
 * time. Returns the `done()` counts seen at the kills.
 */
export async function killAtShares(connector: Restartable, done: () => Promise<number>, total: number, shares = [0, 0.4, 0.8]): Promise<number[]> {
  const seen: number[] = [];
  for (const share of shares) {
    seen.push(await until(`${share * 100} % done`, done, (n) => n >= share * total, { timeoutMs: 60_000, pollMs: 50 }));
    await killHard(connector.current);
    connector.current = await connector.start();
  }
  return seen;
}
