import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { until } from '../support/wait.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { agreementFor, gatedSource, researchOffer, startTransfer, waitForTransfer } from './support.ts';

const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

async function revokePermits(trio: Trio) {
  const { credentials } = await jsonOf(await managementFetch(trio.authority, `/credentials?subject=${encodeURIComponent(trio.institute.did)}&type=DataPermitCredential`));
  for (const c of credentials.filter((c: any) => !c.revokedAt))
    await managementFetch(trio.authority, `/credentials/${encodeURIComponent(c.id)}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'permit withdrawn' }) });
}

async function inFlightTransfer(trio: Trio) {
  const source = await gatedSource({ afterRelease: 'cut' });
  closers.push(source.close);
  const dataset = exampleDataset(trio.hospital, {
    offers: [researchOffer()],
    source: { kind: 'http', url: source.url },
    distributions: [
      {
        format: 'http://publications.europa.eu/resource/authority/file-type/BIN',
        mediaType: 'http://www.iana.org/assignments/media-types/application/octet-stream',
        byteSize: 2 * 1024 * 1024,
      },
    ],
  });
  const agreementId = await agreementFor(trio, dataset);
  const transfer = await startTransfer(trio.institute, agreementId);
  await source.pullStarted;
  return { source, transfer };
}

describe('the agreement is enforced while data flows', () => {
  it('each pull checks the agreement: after a revocation, the resumed pull is refused and the transfer ends', async () => {
    const trio = await startTrio({ hospital: { enforcementIntervalSeconds: 3600 } });
    await onboard(trio);
    const { source, transfer } = await inFlightTransfer(trio);
    await revokePermits(trio);
    source.release();
    const ended = await waitForTransfer(trio.institute, transfer.id, ['TERMINATED', 'COMPLETED']);
    expect(ended.state).toBe('TERMINATED');
    expect(ended.reasons.join(' ')).toMatch(/HTTP 403.*DataPermitCredential is no longer valid: revoked/);
    expect(ended.receivedPath).toBeNull();
    expect((await managementFetch(trio.institute, `/transfers/${encodeURIComponent(transfer.id)}/data`)).status).toBe(404);
  });

  it('a scheduled check terminates a transfer whose agreement no longer holds, and tells the consumer', async () => {
    const trio = await startTrio({ hospital: { enforcementIntervalSeconds: 1 } });
    await onboard(trio);
    const { transfer } = await inFlightTransfer(trio);
    await revokePermits(trio);
    const ended = await waitForTransfer(trio.institute, transfer.id, ['TERMINATED', 'COMPLETED']);
    expect(ended.state).toBe('TERMINATED');
    expect(ended.reasons[0]).toBe(`terminated by ${trio.hospital.did} (agreement)`);
    expect(ended.reasons.join(' ')).toMatch(/revoked/);
  });
});

describe('delete duties', () => {
  it('the consumer deletes the received data when the agreement says, and records that it did', async () => {
    const trio = await startTrio({ institute: { enforcementIntervalSeconds: 1 } });
    await onboard(trio);
    const offer = researchOffer();
    offer.obligation = [{ action: 'odrl:delete', constraint: [{ leftOperand: 'odrl:elapsedTime', operator: 'eq', rightOperand: 'PT3S' }] }];
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [offer] }));
    const done = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(done.state).toBe('COMPLETED');
    expect(existsSync(done.receivedPath)).toBe(true);
    const after = await until(
      'deletion of the received data',
      async () => jsonOf(await managementFetch(trio.institute, `/transfers/${encodeURIComponent(done.id)}`)),
      (t: any) => !!t.deletedAt,
      { timeoutMs: 10_000, pollMs: 100 },
    );
    expect(after.deletedAt).toBeTruthy();
    expect(existsSync(done.receivedPath)).toBe(false);
    expect((await managementFetch(trio.institute, `/transfers/${encodeURIComponent(done.id)}/data`)).status).toBe(404);
  });
});
