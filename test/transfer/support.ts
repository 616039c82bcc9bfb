import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import type { Trio } from '../support/dataspace.ts';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { until } from '../support/wait.ts';
import { registerDataset } from '../catalog/support.ts';
import { researchOffer, startNegotiation, waitForState } from '../negotiation/support.ts';

/** Publishes `dataset` on the hospital and negotiates it for the institute; returns the agreement id. */
export async function agreementFor(trio: Trio, dataset: any): Promise<string> {
  await registerDataset(trio.hospital, dataset);
  const started = await startNegotiation(trio.institute, trio.hospital, { ...dataset.offers[0], target: dataset.id });
  const done = await waitForState(trio.institute, started.id, ['FINALIZED', 'TERMINATED']);
  expect(done.state, JSON.stringify(done.reasons)).toBe('FINALIZED');
  return done.agreementId;
}

export async function startTransfer(consumer: RunningConnector, agreementId: string, format = 'HttpData-PULL'): Promise<any> {
  const response = await managementFetch(consumer, '/transfers', { method: 'POST', body: JSON.stringify({ agreementId, format }) });
  expect(response.status, await response.clone().text()).toBe(201);
  return jsonOf(response);
}

/** Polls a transfer until it reaches one of `states` (or fails the test after `timeoutMs`). */
export function waitForTransfer(connector: RunningConnector, id: string, states: string[], timeoutMs = 20_000): Promise<any> {
  return until(
    `transfer ${id}, expected ${states.join('/')}`,
    async () => jsonOf(await managementFetch(connector, `/transfers/${encodeURIComponent(id)}`)),
    (t: any) => states.includes(t.state),
    { timeoutMs, pollMs: 40, show: (t: any) => `${t.state} (${JSON.stringify(t.reasons)})` },
  );
}

export { researchOffer };

/**
 * An HTTP data source (honouring Range) that serves its bytes whole the first time (when the provider
 * measures it); later requests get 256 KiB and then wait at the gate. Once released, a waiting request is cut
 * (`afterRelease: 'cut'`) or finished, and later requests are served whole.
 */
export async function gatedSource(options: { afterRelease: 'cut' | 'finish'; size?: number }) {
  const bytes = randomBytes(options.size ?? 2 * 1024 * 1024);
  let requests = 0;
  const ranges: (string | undefined)[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let isReleased = false;
  void released.then(() => (isReleased = true));
  let pulling!: () => void;
  const pullStarted = new Promise<void>((resolve) => (pulling = resolve));
  const server = createServer(async (req, res) => {
    requests++;
    ranges.push(req.headers.range);
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(from ? 206 : 200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length - from) });
    if (requests === 1 || isReleased) return void res.end(bytes.subarray(from));
    res.write(bytes.subarray(from, from + 256 * 1024));
    pulling();
    await released;
    if (options.afterRelease === 'cut') res.destroy();
    else res.end(bytes.subarray(from + 256 * 1024));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    release();
    server.closeAllConnections();
    server.close();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cohort.bin`, bytes, ranges, pullStarted, release, close };
}
