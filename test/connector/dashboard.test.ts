import { describe, expect, it } from 'vitest';
import { signIn, startTestConnector } from '../support/connectors.ts';

describe('operator dashboard', () => {
  it('shows only public facts and a sign-in form without a session', async () => {
    const connector = await startTestConnector();
    const response = await fetch(`${connector.url}/`);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    expect(page).toContain('Operator sign-in');
    expect(page).toContain(connector.did);
    expect(page).not.toContain(connector.ctx.config.dataRoot);
  });

  it('refuses a wrong key and shows the panels after signing in with the right one', async () => {
    const connector = await startTestConnector({ peers: [{ name: 'Peer Hospital', did: 'did:web:peer.example', dspAddress: 'https://peer.example/dsp/2025-1' }] });
    const wrong = await signIn(connector.url, 'not-the-key');
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/?login=failed');
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await signIn(connector.url, connector.ctx.apiKey);
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^hdc_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await (await fetch(`${connector.url}/`, { headers: { cookie: cookie.split(';')[0]! } })).text();
    expect(page).toContain('<h2>Connector</h2>');
    expect(page).toContain(connector.ctx.config.dataRoot);
    expect(page).toContain('Peer Hospital');
    expect(page).not.toContain(connector.ctx.apiKey);
  });

  it('does not accept a forged or tampered session cookie', async () => {
    const connector = await startTestConnector();
    const cookie = (await signIn(connector.url, connector.ctx.apiKey)).headers.get('set-cookie')!.split(';')[0]!;
    const [name, value] = cookie.split('=') as [string, string];
    const decoded = decodeURIComponent(value);
    const forged = `${name}=${encodeURIComponent(String(Date.now() + 10 ** 12) + decoded.slice(decoded.indexOf('.')))}`;
    expect(await (await fetch(`${connector.url}/`, { headers: { cookie: forged } })).text()).toContain('Operator sign-in');
    expect(await (await fetch(`${connector.url}/`, { headers: { cookie: 'hdc_session=9999999999999' } })).text()).toContain('Operator sign-in');
  });

  it('signs out', async () => {
    const connector = await startTestConnector();
    const response = await fetch(`${connector.url}/logout`, { method: 'POST', redirect: 'manual', headers: { origin: connector.url } });
    expect(response.status).toBe(303);
    expect(response.headers.get('set-cookie')).toMatch(/hdc_session=;.*Max-Age=0/);
  });
});
