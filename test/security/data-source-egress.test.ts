import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from '../transfer/support.ts';

const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

/** An operator's http source that, once published, answers every request with a redirect to `target`. */
async function redirectingSource(target: string) {
  let redirect = false;
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (redirect) res.writeHead(302, { location: target }).end();
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('export');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/export.bin`, redirectNow: () => (redirect = true), seen };
}

describe('http(s) data sources go through the egress guard', () => {
  it('publication refuses a source the guard would never reach, and stores nothing', async () => {
    const trio = await startTrio();
    for (const url of ['http://10.0.0.1/export', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:a9fe:a9fe]/latest', 'http://[fd00::1]/export']) {
      const dataset = exampleDataset(trio.hospital, { source: { kind: 'http', url } });
      const response = await managementFetch(trio.hospital, '/datasets', { method: 'POST', body: JSON.stringify(dataset) });
      expect(response.status, url).toBe(400);
      const { error } = await jsonOf(response);
      expect(error.code).toBe('invalid_source');
      expect(error.message).toMatch(/may not be used: .* may not reach/);
      expect((await managementFetch(trio.hospital, `/datasets/${encodeURIComponent(dataset.id)}`)).status).toBe(404);
    }
  });

  it('a source that redirects to an internal address fails the transfer; the redirect is never followed', async () => {
    const trio = await startTrio();
    await onboard(trio);
    const source = await redirectingSource('http://169.254.169.254/latest/meta-data/iam');
    const distributions = [
      { format: 'http://publications.europa.eu/resource/authority/file-type/BIN', mediaType: 'http://www.iana.org/assignments/media-types/application/octet-stream', byteSize: 6 },
    ];
    const dataset = exampleDataset(trio.hospital, { offers: [researchOffer()], source: { kind: 'http', url: source.url }, distributions });
    const agreementId = await agreementFor(trio, dataset);
    source.redirectNow();
    const transfer = await startTransfer(trio.institute, agreementId);
    const ended = await waitForTransfer(trio.institute, transfer.id, ['TERMINATED', 'COMPLETED']);
    expect(ended.state).toBe('TERMINATED');
    expect(ended.receivedPath).toBeNull();
    // The consumer learns that the provider could not serve, not where the source pointed.
    expect(JSON.stringify(ended.reasons)).not.toMatch(/169\.254|meta-data|export\.bin/);
    const provider = (await jsonOf(await managementFetch(trio.hospital, '/transfers'))).transfers.find((t: any) => t.agreementId === agreementId);
    expect(provider.state).toBe('TERMINATED');
    expect(provider.reasons).toContain('the data source cannot be read: 169.254.169.254 is an address this connector may not reach');
    expect(source.seen.length).toBeGreaterThan(0);
  });
});
