import { afterAll, describe, expect, it } from 'vitest';
import { startConnectorProcess, type ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import { freePort } from '../../scripts/bench/load.ts';
import { tempDir } from '../support/connectors.ts';
import { memoryOf, startHostileServer, tokenClaiming } from './attacker.ts';
import { didWebFromUrl } from '../../connector/identity/did-web.ts';

const MiB = 1024 * 1024;

function drainedOrClosed(res: import('node:http').ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
const DOCUMENT_BYTES = 400 * MiB;

/**
 * Issue 15, break 1: a caller names a did:web whose document is 400 MiB, sent chunked (no Content-Length).
 * One unauthenticated request made the hospital read it whole (RSS 164 MB -> 1,765 MB). The hospital runs
 * as its own process so its memory is its own.
 */
describe('a DID document far larger than any DID document', () => {
  let hospital: ConnectorProcess;
  afterAll(async () => {
    await hospital?.stop();
  });

  it('is cut off while it streams: the hospital grows by less than 50 MB and the server sends a fraction of it', async () => {
    const port = await freePort();
    hospital = await startConnectorProcess(tempDir('hdc-security-'), {
      name: 'hospital',
      role: 'hospital',
      port,
      dataDir: 'data',
      logLevel: 'warn',
      catalogCrawlIntervalSeconds: 0,
    });
    let sent = 0;
    let closedEarly = false;
    const attacker = await startHostileServer(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/did+json' }); // chunked: no Content-Length
      res.on('close', () => (closedEarly = sent < DOCUMENT_BYTES));
      const chunk = Buffer.alloc(256 * 1024, 0x20); // JSON whitespace, before a document that never comes
      while (sent < DOCUMENT_BYTES && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) await drainedOrClosed(res);
      }
      res.end();
    });
    const did = didWebFromUrl(attacker.url);
    const before = await memoryOf(hospital.child.pid!);

    const response = await fetch(`${hospital.url}/dsp/2025-1/catalog/request`, {
      method: 'POST',
      headers: { authorization: await tokenClaiming(did, hospital.did), 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' }),
    });
    await response.body?.cancel();
    const after = await memoryOf(hospital.child.pid!);

    const grownMb = (after.peak - before.peak) / 1e6;
    console.info(
      `hospital RSS ${(before.rss / 1e6).toFixed(0)} MB -> ${(after.rss / 1e6).toFixed(0)} MB, peak +${grownMb.toFixed(1)} MB; attacker sent ${(sent / MiB).toFixed(1)} MiB`,
    );
    expect(grownMb).toBeLessThan(50);
    expect(response.status).toBe(401);
    expect(closedEarly).toBe(true);
    expect(sent).toBeLessThan(32 * MiB);
  }, 60_000);
});
