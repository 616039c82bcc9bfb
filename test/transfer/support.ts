import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import type { Trio } from '../support/dataspace.ts';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
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

export async function waitForTransfer(connector: RunningConnector, id: string, states: string[], timeoutMs = 20_000): Promise<any> {
  const started = Date.now();
  let last: any;
  while (Date.now() - started < timeoutMs) {
    last = await jsonOf(await managementFetch(connector, `/transfers/${encodeURIComponent(id)}`));
    if (states.includes(last.state)) return last;
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  throw new Error(`transfer ${id} stayed ${last?.state} (${JSON.stringify(last?.reasons)}), expected ${states.join('/')}`);
}

export { researchOffer };
