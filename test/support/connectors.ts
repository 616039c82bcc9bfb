import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { parseConfig, type ConnectorConfigInput, type ParticipantRole } from '../../connector/config.ts';
import { createLogger } from '../../connector/logger.ts';
import { startConnector, type RunningConnector } from '../../connector/server.ts';
import { testDatabase } from './database.ts';

// Hooks registered inside a running test are not run by vitest, so cleanup is collected here and done by
// one afterAll registered when a test file first imports this module.
const running = new Set<RunningConnector>();
const folders: string[] = [];
afterAll(async () => {
  await Promise.all([...running].map((connector) => connector.close()));
  running.clear();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder removed when the test file ends. */
export function tempDir(prefix = 'hdc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

export interface TestConnectorOptions extends Partial<ConnectorConfigInput> {
  role?: ParticipantRole;
}

/**
 * Starts a real connector on a free loopback port with its own data directory and database
 * (SQLite, or a fresh PostgreSQL schema when DATABASE_URL is set). It is closed when the test file ends.
 * Set TEST_LOGS=1 to see its logs.
 */
export async function startTestConnector(options: TestConnectorOptions = {}): Promise<RunningConnector> {
  const config = parseConfig({
    name: options.name ?? `test-${options.role ?? 'hospital'}`,
    role: options.role ?? 'hospital',
    port: 0,
    dataDir: options.dataDir ?? tempDir(),
    database: options.database ?? (await testDatabase()),
    logLevel: process.env.TEST_LOGS ? 'debug' : 'silent',
    ...options,
  });
  const connector = await startConnector(config, { logger: createLogger({ level: config.logLevel, base: { connector: config.name } }) });
  running.add(connector);
  return connector;
}

/** Calls a connector's management API with its API key. */
export function managementFetch(connector: RunningConnector, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${connector.ctx.apiKey}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${connector.managementUrl}/api${path}`, { ...init, headers });
}

/** Posts the dashboard's sign-in form. */
export function signIn(url: string, apiKey: string): Promise<Response> {
  return fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ apiKey }), redirect: 'manual', headers: { origin: new URL(url).origin } });
}

/** The operator dashboard's HTML as a signed-in operator sees it. */
export async function dashboardPage(connector: RunningConnector): Promise<string> {
  const cookie = (await signIn(connector.url, connector.ctx.apiKey)).headers.get('set-cookie')!.split(';')[0]!;
  return (await fetch(`${connector.url}/`, { headers: { cookie } })).text();
}
