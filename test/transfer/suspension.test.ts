import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { agreementFor, gatedSource, researchOffer, startTransfer, waitForTransfer } from './support.ts';

const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

describe('suspending and resuming a transfer, from either side', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio();
    await onboard(trio);
  });

  /** A pull under way: the consumer holds the first 256 KiB, the source waits at its gate. */
  async function pullUnderWay() {
    const source = await gatedSource({ afterRelease: 'finish' });
    closers.push(source.close);
    const dataset = exampleDataset(trio.hospital, {
      offers: [researchOffer()],
      source: { kind: 'http', url: source.url },
      distributions: [
        {
          format: 'http://publications.europa.eu/resource/authority/file-type/BIN',
          mediaType: 'http://www.iana.org/assignments/media-types/application/octet-stream',
          byteSize: source.bytes.length,
        },
      ],
    });
    const agreementId = await agreementFor(trio, dataset);
    const consumer = await startTransfer(trio.institute, agreementId);
    await source.pullStarted;
    const provider = (await jsonOf(await managementFetch(trio.hospital, `/transfers?role=provider&agreementId=${encodeURIComponent(agreementId)}`))).transfers[0];
    return { source, consumer, provider };
  }

  const act = (connector: Trio['hospital'], id: string, action: string, body?: unknown) =>
    managementFetch(connector, `/transfers/${encodeURIComponent(id)}/${action}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });

  /** The data plane endpoint and token the provider handed the consumer in its start message. */
  async function pullAddress(consumerId: string): Promise<{ endpoint: string; token: string }> {
    const row = await trio.institute.ctx.database.db.selectFrom('transfers').select('data_address').where('id', '=', consumerId).executeTakeFirstOrThrow();
    const address = JSON.parse(row.data_address as string);
    return { endpoint: address.endpoint, token: address.endpointProperties.find((p: any) => p.name === 'authorization').value };
  }

  it('the consumer suspends: both sides are SUSPENDED, the data plane refuses, and a resume completes from where it stopped', async () => {
    const { source, consumer, provider } = await pullUnderWay();
    const suspended = await jsonOf(await act(trio.institute, consumer.id, 'suspend', { reason: 'network maintenance' }));
    expect(suspended.state).toBe('SUSPENDED');
    const onProvider = await waitForTransfer(trio.hospital, provider.id, ['SUSPENDED']);
    expect(onProvider.reasons).toEqual([`suspended by ${trio.institute.did} (suspended)`, 'network maintenance']);
    const { endpoint, token } = await pullAddress(consumer.id);
    const gated = await fetch(endpoint, { headers: { authorization: `Bearer ${token}` } });
    expect(gated.status).toBe(409);
    expect(((await gated.json()) as any).error.message).toBe('the transfer is SUSPENDED');
    expect((await act(trio.institute, consumer.id, 'suspend', { reason: 'again' })).status).toBe(409);

    source.release();
    expect((await jsonOf(await act(trio.institute, consumer.id, 'resume'))).state).toBe('STARTED');
    const done = await waitForTransfer(trio.institute, consumer.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    expect(readFileSync(done.receivedPath).equals(source.bytes)).toBe(true);
    expect(done.digest).toBe(createHash('sha256').update(source.bytes).digest('base64'));
    expect((await waitForTransfer(trio.hospital, provider.id, ['COMPLETED'])).state).toBe('COMPLETED');
  });

  it('the provider suspends and resumes with a fresh token; the old one no longer opens the data', async () => {
    const { source, consumer, provider } = await pullUnderWay();
    const before = await pullAddress(consumer.id);
    expect((await jsonOf(await act(trio.hospital, provider.id, 'suspend', { reason: 'source under maintenance' }))).state).toBe('SUSPENDED');
    const onConsumer = await waitForTransfer(trio.institute, consumer.id, ['SUSPENDED']);
    expect(onConsumer.reasons).toEqual([`suspended by ${trio.hospital.did} (suspended)`, 'source under maintenance']);

    source.release();
    expect((await jsonOf(await act(trio.hospital, provider.id, 'resume'))).state).toBe('STARTED');
    const done = await waitForTransfer(trio.institute, consumer.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    expect(readFileSync(done.receivedPath).equals(source.bytes)).toBe(true);
    const after = await pullAddress(consumer.id);
    expect(after.token).not.toBe(before.token);
    expect((await fetch(before.endpoint, { headers: { authorization: `Bearer ${before.token}` } })).status).toBe(401);
  });

  it('a final transfer can be neither suspended nor resumed nor terminated', async () => {
    const { source, consumer } = await pullUnderWay();
    expect((await jsonOf(await act(trio.institute, consumer.id, 'terminate', { reason: 'no longer needed' }))).state).toBe('TERMINATED');
    source.release();
    for (const [action, body] of [
      ['suspend', { reason: 'x' }],
      ['resume', undefined],
      ['terminate', { reason: 'x' }],
    ] as const) {
      const response = await act(trio.institute, consumer.id, action, body);
      expect(response.status, action).toBe(409);
    }
    expect((await act(trio.institute, 'urn:uuid:nothing', 'resume')).status).toBe(404);
  });
});
