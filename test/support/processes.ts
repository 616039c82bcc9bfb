import { expect } from 'vitest';
import { join } from 'node:path';
import { startConnectorProcess, type ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import { freePort } from '../../scripts/bench/load.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch, tempDir } from './connectors.ts';

/** A connector in its own process, restartable on the same port (same DID) and data directory. */
export async function processConnector(role: 'hospital' | 'research-institute', authority: RunningConnector) {
  const folder = tempDir('hdc-crash-');
  const port = await freePort();
  const config = { name: `${role}-process`, role, port, dataDir: 'data', logLevel: 'info' as const, catalogCrawlIntervalSeconds: 0, trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 };
  const start = () => startConnectorProcess(folder, config, { ...process.env, DATABASE_URL: '' });
  return { start, folder, dataRoot: join(folder, 'data', 'datasets') };
}

export async function admitProcess(authority: RunningConnector, member: ConnectorProcess, role: 'hospital' | 'research-institute') {
  const response = await managementFetch(authority, '/members', {
    method: 'POST',
    body: JSON.stringify({ did: member.did, name: member.name, role, dspAddress: `${member.url}/dsp/2025-1`, legalName: member.name, registrationNumber: { kind: 'local', value: member.name }, headquartersCountry: 'LU' }),
  });
  expect(response.status).toBe(201);
}

