import { describe, expect, it } from 'vitest';
import { managementFetch, signIn, startTestConnector, tempDir } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { managementClientFromConfig } from '../../connector/cli/management-client.ts';
import { isManagementPath, servesPath } from '../../connector/http/listeners.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('a separate listener for the management API and the dashboard', () => {
  it('the public listener no longer answers the operator surface; the management listener answers only it', async () => {
    const connector = await startTestConnector({ management: { host: '127.0.0.1', port: 0 } });
    expect(connector.managementUrl).not.toBe(connector.url);
    const auth = { authorization: `Bearer ${connector.ctx.apiKey}` };

    // Public side: DID document, DSP version metadata and /health stay; the API, its description and the dashboard are gone.
    expect((await fetch(`${connector.url}/.well-known/did.json`)).status).toBe(200);
    expect((await fetch(`${connector.url}/.well-known/dspace-version`)).status).toBe(200);
    expect((await fetch(`${connector.url}/health`)).status).toBe(200);
    for (const path of ['/api/identity', '/api/openapi.json', '/', '/login']) {
      const response = await fetch(`${connector.url}${path}`, { headers: auth });
      expect(response.status, path).toBe(404);
      expect((await jsonOf(response)).error.code).toBe('not_found');
    }
    expect((await signIn(connector.url, connector.ctx.apiKey)).status).toBe(404);

    // Management side: the API with the key, the dashboard sign-in, /health; nothing peers use.
    expect((await managementFetch(connector, '/identity')).status).toBe(200);
    expect((await fetch(`${connector.managementUrl}/api/identity`)).status).toBe(401);
    const openapi = await jsonOf(await fetch(`${connector.managementUrl}/api/openapi.json`));
    expect(openapi.servers[0].url).toBe(`${connector.managementUrl}/api`);
    expect((await signIn(connector.managementUrl, connector.ctx.apiKey)).status).toBe(303);
    expect((await fetch(`${connector.managementUrl}/health`)).status).toBe(200);
    for (const path of ['/.well-known/did.json', '/dsp/2025-1/catalog/request', '/catalog']) expect((await fetch(`${connector.managementUrl}${path}`)).status, path).toBe(404);
  });

  it('the CLI finds the management listener from the configuration file', () => {
    const dir = tempDir();
    const path = join(dir, 'hospital.json');
    writeFileSync(path, JSON.stringify({ name: 'h', role: 'hospital', port: 8701, dataDir: dir, apiKey: 'k'.repeat(32), management: { host: '127.0.0.1', port: 8801 } }));
    expect(managementClientFromConfig(path).baseUrl).toBe('http://127.0.0.1:8801');
  });

  it('without a management listener everything is served on one', () => {
    expect(servesPath('all', '/api/identity')).toBe(true);
    expect(servesPath('public', '/api/identity?x=1')).toBe(false);
    expect(servesPath('public', '/apis')).toBe(true);
    expect(servesPath('management', '/health')).toBe(true);
    expect(isManagementPath('/')).toBe(true);
    expect(isManagementPath('/data/x')).toBe(false);
  });
});
