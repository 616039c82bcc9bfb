import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardPage, managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { until } from '../support/wait.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from './support.ts';

/**
 * A hospital whose data steward signs off every release (reviewTransfers) and an institute that pulls only
 * when its operator asks (pullOnStart off), between two of our connectors.
 */
describe('release review and pull on command', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio({ hospital: { reviewTransfers: true }, institute: { pullOnStart: false } });
    await onboard(trio);
  });

  const act = (connector: Trio['hospital'], id: string, action: string, body?: unknown) =>
    managementFetch(connector, `/transfers/${encodeURIComponent(id)}/${action}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** The provider's side of the transfer under `agreementId`, once the request reached it (held for review). */
  const providerSide = (agreementId: string) =>
    until(
      `the request under ${agreementId} at the hospital`,
      async () => (await jsonOf(await managementFetch(trio.hospital, `/transfers?role=provider&agreementId=${encodeURIComponent(agreementId)}`))).transfers[0],
      (t: any) => t !== undefined,
    );

  it('a request waits for the steward; approved, it starts; the consumer waits for its pull, then completes', async () => {
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
    const consumer = await startTransfer(trio.institute, agreementId);
    const held = await providerSide(agreementId);
    expect(held).toMatchObject({ state: 'REQUESTED', pending: 'approval' });
    await sleep(500); // nothing starts it meanwhile
    expect(await dashboardPage(trio.hospital)).toContain('REQUESTED (awaits approval)');
    expect((await jsonOf(await managementFetch(trio.institute, `/transfers/${encodeURIComponent(consumer.id)}`))).state).toBe('REQUESTED');
    // The consumer cannot pull what has not started.
    expect((await act(trio.institute, consumer.id, 'pull')).status).toBe(409);

    const approved = await act(trio.hospital, held.id, 'approve');
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect((await jsonOf(approved)).pending).toBeNull();
    await waitForTransfer(trio.hospital, held.id, ['STARTED']);
    const started = await waitForTransfer(trio.institute, consumer.id, ['STARTED']);
    await sleep(300);
    expect((await jsonOf(await managementFetch(trio.institute, `/transfers/${encodeURIComponent(consumer.id)}`))).state).toBe('STARTED');
    expect(started.size).toBeNull();
    expect(await dashboardPage(trio.institute)).toContain('STARTED (awaits pull)');
    // A second approval is refused: the request is no longer held.
    expect((await act(trio.hospital, held.id, 'approve')).status).toBe(409);

    expect((await act(trio.institute, consumer.id, 'pull')).status).toBe(200);
    const done = await waitForTransfer(trio.institute, consumer.id, ['COMPLETED', 'TERMINATED']);
    expect(done).toMatchObject({ state: 'COMPLETED', digestVerified: true });
    expect(readFileSync(done.receivedPath, 'utf8')).toContain('Patient');
    await waitForTransfer(trio.hospital, held.id, ['COMPLETED']);
    const audit = await jsonOf(await managementFetch(trio.hospital, `/audit?type=transfer.approved&subject=${encodeURIComponent(held.id)}`));
    expect(audit.entries).toMatchObject([{ actor: 'operator', subjects: { transferId: held.id, agreementId }, details: { counterpartyDid: trio.institute.did } }]);
  });

  it('the steward refuses a release by terminating it; the consumer learns why', async () => {
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
    const consumer = await startTransfer(trio.institute, agreementId);
    const held = await providerSide(agreementId);
    const refused = await act(trio.hospital, held.id, 'terminate', { reason: 'the steward did not release this cohort' });
    expect(refused.status).toBe(200);
    const ended = await waitForTransfer(trio.institute, consumer.id, ['TERMINATED']);
    expect(ended.reasons.join(' ')).toContain('the steward did not release this cohort');
  });

  it('a started transfer waiting for its pull can be completed by the provider meanwhile', async () => {
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
    const consumer = await startTransfer(trio.institute, agreementId);
    const held = await providerSide(agreementId);
    await act(trio.hospital, held.id, 'approve');
    await waitForTransfer(trio.institute, consumer.id, ['STARTED']);
    expect((await act(trio.hospital, held.id, 'complete')).status).toBe(200);
    const done = await waitForTransfer(trio.institute, consumer.id, ['COMPLETED']);
    expect(done.receivedPath).toBeNull();
    expect((await act(trio.institute, consumer.id, 'pull')).status).toBe(409);
  });
});
