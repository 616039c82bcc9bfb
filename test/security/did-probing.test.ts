import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestConnector } from '../support/connectors.ts';
import { freePort } from '../../scripts/bench/load.ts';
import { jsonOf } from '../support/http.ts';
import { startHostileServer, tokenClaiming } from './attacker.ts';

/**
 * Issue 15, break 3: did:web resolution errors came back in 401 reasons ("ECONNREFUSED" for a closed port,
 * "answered 404" for an open one), so any caller could map which internal ports answer.
 */
describe('did:web names pointing at internal ports', () => {
  it('every unresolvable caller gets the same 401 reason, whatever answered at that port', async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    const http404 = await startHostileServer((_req, res) => void res.writeHead(404).end('Not Found: admin console v2.3'));
    const garbage = await startHostileServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>Jenkins</html>'));
    const raw = createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n'));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const ports = [await freePort(), http404.port, garbage.port, (raw.address() as { port: number }).port];

    const reasons: string[] = [];
    for (const port of ports) {
      const response = await fetch(`${hospital.url}/dsp/2025-1/catalog/request`, {
        method: 'POST',
        headers: { authorization: await tokenClaiming(`did:web:127.0.0.1%3A${port}`, hospital.did), 'content-type': 'application/json' },
        body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
      });
      expect(response.status).toBe(401);
      const body = await jsonOf(response);
      expect(body['@type']).toBe('CatalogError');
      reasons.push(JSON.stringify(body.reason));
    }
    raw.close();

    expect(new Set(reasons).size, reasons.join('\n')).toBe(1);
    expect(reasons[0]).toContain("the caller's signing key could not be resolved from its DID document");
    expect(reasons[0]).not.toMatch(/ECONN|404|JSON|Jenkins|SSH|127\.0\.0\.1/);
  });
});
