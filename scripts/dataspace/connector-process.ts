import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectorConfigInput } from '../../connector/config.ts';
import { API_KEY_FILE } from '../../connector/server.ts';
import { ManagementClient } from '../../connector/cli/management-client.ts';
import { CONNECTOR_NODE_FLAGS } from '../../connector/cli/start.ts';

const HDC = new URL('../../connector/cli/hdc.ts', import.meta.url).pathname;

/** A connector running as its own process (`hdc start`), with its config and log in its folder. */
export interface ConnectorProcess {
  name: string;
  url: string;
  did: string;
  configPath: string;
  logPath: string;
  dataDir: string;
  api: ManagementClient;
  child: ChildProcess;
  /** SIGTERM, then wait for a clean exit (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

async function waitUntilReady(url: string, child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} during start-up; see ${logPath}`);
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not ready after ${timeoutMs} ms; see ${logPath}`);
}

/**
 * Writes `config` to <folder>/config.json and starts `hdc start` on it. Logs go to <folder>/connector.log;
 * resolves once /health answers.
 */
export async function startConnectorProcess(folder: string, config: ConnectorConfigInput & { port: number }, env: NodeJS.ProcessEnv = process.env): Promise<ConnectorProcess> {
  mkdirSync(folder, { recursive: true });
  const configPath = join(folder, 'config.json');
  const logPath = join(folder, 'connector.log');
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, [...CONNECTOR_NODE_FLAGS, HDC, 'start', '--config', configPath], {
    env: { ...env, DATABASE_URL: env.DATABASE_URL ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = config.publicUrl ?? `http://127.0.0.1:${config.port}`;
  try {
    await waitUntilReady(url, child, logPath, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const dataDir = join(folder, config.dataDir);
  const api = new ManagementClient(url, config.apiKey ?? readFileSync(join(dataDir, API_KEY_FILE), 'utf8').trim());
  const { did } = await api.get<{ did: string }>('/identity');
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  return { name: config.name, url, did, configPath, logPath, dataDir, api, child, stop };
}
