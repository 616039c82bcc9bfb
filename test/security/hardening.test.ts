import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { signJwt, verifyIdToken, TokenError } from '../../contracts/credentials/id-token.ts';
import { securityHeaders } from '../../connector/http/security-headers.ts';
import { secureCookie, signInLimit } from '../../connector/dashboard/session.ts';
import { dashboardRoutes } from '../../connector/dashboard/routes.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch, signIn, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { tokenClaiming } from './attacker.ts';

const servers: { close(): void }[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** A Hono app on a real loopback port. */
async function served(app: Hono): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
    servers.push(server);
  });
}

describe('ID tokens: nbf (issue 15, item 7)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const did = 'did:web:caller.example';
  const token = (claims: Record<string, number>) => {
    const iat = Math.floor(Date.now() / 1000);
    return signJwt({ iss: did, sub: did, aud: 'did:web:hospital.example', iat, exp: iat + 120, jti: crypto.randomUUID(), ...claims }, `${did}#key-1`, privateKey);
  };
  const verify = async (jwt: Promise<string>) => verifyIdToken(await jwt, { audience: 'did:web:hospital.example', resolveKey: async () => publicKey });

  it('a token not valid before a time beyond the clock skew is refused as not_yet_valid', async () => {
    const error = await verify(token({ nbf: Math.floor(Date.now() / 1000) + 600 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).code).toBe('not_yet_valid');
  });

  it('an nbf in the past or within the skew is accepted; a non-numeric nbf is malformed', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verify(token({ nbf: now - 10 }))).resolves.toMatchObject({ iss: did });
    await expect(verify(token({ nbf: now + 20 }))).resolves.toMatchObject({ iss: did });
    await expect(verify(token({ nbf: 'soon' as unknown as number }))).rejects.toMatchObject({ code: 'malformed' });
  });
});

describe('back-off after failed authentication (issue 15, item 7)', () => {
  it('the management API answers 429 with Retry-After after ten wrong keys, even to the right key', async () => {
    const connector = await startTestConnector();
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${connector.url}/api/identity`, { headers: { authorization: 'Bearer wrong-key' } });
      expect(response.status).toBe(401);
    }
    const blocked = await fetch(`${connector.url}/api/identity`, { headers: { authorization: 'Bearer wrong-key' } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await jsonOf(blocked)).error.code).toBe('too_many_requests');
    expect((await managementFetch(connector, '/identity')).status).toBe(429);
  });

  it('peer authentication answers 429 with Retry-After and the DSP error object after twenty failed tokens', async () => {
    const connector = await startTestConnector();
    const attempt = async () =>
      fetch(`${connector.url}/dsp/2025-1/catalog/request`, {
        method: 'POST',
        headers: { authorization: await tokenClaiming('did:web:127.0.0.1%3A9', connector.did), 'content-type': 'application/json' },
        body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
      });
    for (let i = 0; i < 20; i++) expect((await attempt()).status).toBe(401);
    const blocked = await attempt();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await jsonOf(blocked)).toMatchObject({ '@type': 'CatalogError', code: '429' });
  });

  it('dashboard sign-in answers 429 after ten wrong keys (signInLimit on the real sign-in route)', async () => {
    const connector = await startTestConnector();
    const app = new Hono();
    app.use('/login', signInLimit());
    app.route('/', dashboardRoutes(connector.ctx));
    const url = await served(app);
    for (let i = 0; i < 10; i++) expect((await signIn(url, 'wrong-key')).headers.get('location')).toContain('login=failed');
    const blocked = await signIn(url, connector.ctx.apiKey);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('DSP error objects on every DSP error status (issue 15, item 7)', () => {
  let connector: RunningConnector;
  // A fresh connection each time: the server answers 413 early and closes the one whose body it did not read.
  const tooLarge = (path: string) =>
    undiciFetch(`${connector.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
      dispatcher: new Agent({ pipelining: 0 }),
    });

  it.each([
    ['/dsp/2025-1/negotiations/request', 'ContractNegotiationError'],
    ['/dsp/2025-1/transfers/request', 'TransferError'],
    ['/dsp/2025-1/catalog/request', 'CatalogError'],
  ])('a body over the limit on %s is a 413 %s', async (path, type) => {
    connector ??= await startTestConnector();
    const response = await tooLarge(path);
    expect(response.status).toBe(413);
    const body = await jsonOf(response);
    expect(body).toMatchObject({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': type, code: '413' });
    expect(body.reason).toEqual([expect.stringContaining('limited')]);
  });

  it('the management API keeps its own error body', async () => {
    connector ??= await startTestConnector();
    const response = await tooLarge('/api/datasets');
    expect(response.status).toBe(413);
    expect((await jsonOf(response)).error.code).toBe('payload_too_large');
  });
});

describe('browser-facing headers (issue 15, item 7)', () => {
  it('the dashboard is served with a CSP allowing no script or framing, no referrer, nosniff; HSTS only over https', async () => {
    const connector = await startTestConnector();
    const app = new Hono();
    app.use(securityHeaders({ publicUrl: connector.ctx.config.publicUrl }));
    app.route('/', dashboardRoutes(connector.ctx));
    const response = await fetch(`${await served(app)}/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('strict-transport-security')).toBeNull();

    const tls = new Hono();
    tls.use(securityHeaders({ publicUrl: 'https://hospital.example' }));
    tls.get('/', (c) => c.text('ok'));
    expect((await fetch(`${await served(tls)}/`)).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('the dashboard forms refuse a cross-site post (Hono csrf): a page elsewhere cannot sign the operator in or out', async () => {
    const connector = await startTestConnector();
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site', origin: 'null' }, {}]) {
      for (const path of ['/login', '/logout']) {
        const response = await fetch(`${connector.url}${path}`, { method: 'POST', body: new URLSearchParams({ apiKey: connector.ctx.apiKey }), redirect: 'manual', headers });
        expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.headers.get('set-cookie')).toBeNull();
      }
    }
    const sameSite = await fetch(`${connector.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ apiKey: connector.ctx.apiKey }),
      redirect: 'manual',
      headers: { 'sec-fetch-site': 'same-origin' },
    });
    expect(sameSite.status).toBe(303);
  });

  it('the session cookie is Secure behind a TLS proxy: X-Forwarded-Proto https, or an https public URL', async () => {
    const connector = await startTestConnector();
    const viaProxy = await fetch(`${connector.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ apiKey: connector.ctx.apiKey }),
      redirect: 'manual',
      headers: { 'x-forwarded-proto': 'https', origin: connector.url },
    });
    expect(viaProxy.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    expect((await signIn(connector.url, connector.ctx.apiKey)).headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);

    const app = new Hono();
    app.get('/', (c) => c.json({ https: secureCookie(c, 'https://hospital.example'), http: secureCookie(c, 'http://127.0.0.1:8701') }));
    expect(await (await fetch(`${await served(app)}/`)).json()).toEqual({ https: true, http: false });
  });
});
