import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { jsonOf } from '../support/http.ts';
import { managementFetch, startTestConnector, tempDir } from '../support/connectors.ts';
import { dspExample, dspSchemaErrors } from '../support/dsp-schemas.ts';
import { IDENTITY_KEY_FILE } from '../../connector/identity/keys.ts';
import { API_KEY_FILE } from '../../connector/server.ts';

describe('connector HTTP surface', () => {
  it('reports readiness including the database', async () => {
    const connector = await startTestConnector();
    const ready = await fetch(`${connector.url}/health`);
    expect(ready.status).toBe(200);
    expect(await jsonOf(ready)).toEqual({ status: 'ok', did: connector.did, checks: { database: 'ok' } });
    expect((await fetch(`${connector.url}/health/live`)).status).toBe(200);
  });

  it('publishes DSP version metadata that validates against the spec schema', async () => {
    const connector = await startTestConnector();
    const body = await jsonOf(await fetch(`${connector.url}/.well-known/dspace-version`));
    expect(dspSchemaErrors('common/protocol-version-schema.json', body)).toEqual([]);
    expect(dspSchemaErrors('common/protocol-version-schema.json', dspExample('common/example/protocol-version.json'))).toEqual([]);
    expect(body.protocolVersions[0]).toMatchObject({ version: '2025-1', path: '/dsp/2025-1', binding: 'HTTPS' });
  });

  it('guards the management API with the API key', async () => {
    const connector = await startTestConnector();
    const anonymous = await fetch(`${connector.url}/api/identity`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await fetch(`${connector.url}/api/identity`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await managementFetch(connector, '/identity');
    expect(ok.status).toBe(200);
    expect(await jsonOf(ok)).toMatchObject({ did: connector.did, role: 'hospital', dspAddress: `${connector.url}/dsp/2025-1` });
    const viaHeader = await fetch(`${connector.url}/api/identity`, { headers: { 'x-api-key': connector.ctx.apiKey } });
    expect(viaHeader.status).toBe(200);
  });

  it('answers unknown routes and oversized bodies with JSON errors and a request id', async () => {
    const connector = await startTestConnector();
    const missing = await fetch(`${connector.url}/nowhere`);
    expect(missing.status).toBe(404);
    const body = await jsonOf(missing);
    expect(body.error.code).toBe('not_found');
    expect(body.requestId).toBe(missing.headers.get('x-request-id'));
    const huge = await managementFetch(connector, '/identity', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect((await jsonOf(huge)).error.code).toBe('payload_too_large');
  });
});

describe('npm start', () => {
  it('starts from a config file, logs JSON without secrets, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const file = join(dir, 'hospital.json');
    writeFileSync(file, JSON.stringify({ name: 'Hospital', role: 'hospital', port: 0, dataDir: 'data' }));
    const child = spawn(process.execPath, ['connector/main.ts', '--config', file], { env: { ...process.env, DATABASE_URL: '' } });
    const lines: string[] = [];
    const started = new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        const entry = JSON.parse(line);
        if (entry.msg === 'connector started') resolve(entry);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const entry = await started;
    const url = entry.publicUrl as string;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining(['signal received', 'connector stopping', 'connector stopped']));
    const log = lines.join('\n');
    const secretKey = JSON.parse(readFileSync(join(dir, 'data', IDENTITY_KEY_FILE), 'utf8')).secretKeyMultibase;
    const apiKey = readFileSync(join(dir, 'data', API_KEY_FILE), 'utf8').trim();
    expect(log).not.toContain(secretKey);
    expect(log).not.toContain(apiKey);
  });
});

describe('/metrics', () => {
  it('counts requests by route pattern and status in the Prometheus text format', async () => {
    const connector = await startTestConnector();
    await fetch(`${connector.url}/health`);
    await fetch(`${connector.url}/health`);
    await fetch(`${connector.url}/api/identity`);
    await fetch(`${connector.url}/no/such/thing/123`);
    const response = await fetch(`${connector.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE hdc_http_requests_total counter');
    expect(text).toContain('hdc_http_requests_total{method="GET",route="/health",status="200"} 2');
    expect(text).toContain('hdc_http_requests_total{method="GET",route="/api/*",status="401"} 1');
    expect(text).toContain('hdc_http_requests_total{method="GET",route="(unmatched)",status="404"} 1');
    expect(text).toMatch(/hdc_http_request_duration_seconds_count\{method="GET",route="\/health"\} 2/);
    expect(text).toMatch(/hdc_process_resident_memory_bytes \d+/);
    expect(text).not.toContain('/no/such');
  });
});

describe('/api/openapi.json', () => {
  it('describes the management API as OpenAPI 3.1, publicly, with the API key as its security scheme', async () => {
    const connector = await startTestConnector();
    const response = await fetch(`${connector.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    const doc = await jsonOf(response);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: `${connector.url}/api` }]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const identity = doc.paths['/identity'].get;
    expect(identity.security).toEqual([{ apiKey: [] }]);
    expect(identity.responses['200'].content['application/json'].schema.required).toEqual(expect.arrayContaining(['did', 'role', 'dspAddress']));
  });
});

describe('graceful shutdown', () => {
  it('stops accepting connections but lets a request in flight finish before closing', async () => {
    const connector = await startTestConnector();
    const body = `apiKey=${encodeURIComponent(connector.ctx.apiKey)}`;
    const socket = connect(connector.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${connector.url}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    let closed = false;
    const closing = connector.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${connector.url}/health`)).rejects.toThrow();
    expect(closed).toBe(false);

    socket.write(body.slice(10));
    await closing;
    expect(answer).toMatch(/^HTTP\/1\.1 303/);
    expect(answer).toContain('hdc_session=');
    socket.destroy();
  });
});
