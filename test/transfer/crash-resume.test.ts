import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestConnector } from '../support/connectors.ts';
import { killHard, onboardInstituteProcess, processConnector } from '../support/processes.ts';
import { until } from '../support/wait.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { gatedSource, researchOffer } from './support.ts';

const closers: (() => void)[] = [];
afterAll(() => closers.forEach((close) => close()));

/** The size of the first partial download under `receivedDir`, 0 while there is none. */
function partialBytes(receivedDir: string): number {
  if (!existsSync(receivedDir)) return 0;
  for (const folder of readdirSync(receivedDir)) {
    for (const file of readdirSync(join(receivedDir, folder))) if (file.endsWith('.partial')) return statSync(join(receivedDir, folder, file)).size;
  }
  return 0;
}

describe('a pull survives kill -9 of the consumer', () => {
  it('after restart the consumer resumes with a Range request from what reached its disk, and the digest holds', async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const hospital = await startTestConnector({ role: 'hospital', trustedIssuers: [{ did: authority.did, credentialTypes: ['*'] }], statusListCacheTtlSeconds: 0 });
    const source = await gatedSource({ afterRelease: 'finish', size: 4 * 1024 * 1024 });
    closers.push(source.close);
    const dataset = exampleDataset(hospital, {
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
    await registerDataset(hospital, dataset);
    const spec = await processConnector('research-institute', authority);
    let institute = await spec.start();
    try {
      await onboardInstituteProcess(authority, institute);
      const negotiation = await institute.api.post<{ id: string }>('/negotiations', {
        providerDid: hospital.did,
        providerAddress: `${hospital.url}/dsp/2025-1`,
        offer: { ...dataset.offers[0], target: dataset.id },
      });
      const agreed = await institute.api.get<{ state: string; agreementId: string }>(`/negotiations/${encodeURIComponent(negotiation.id)}?waitFor=FINALIZED,TERMINATED`);
      expect(agreed.state).toBe('FINALIZED');
      const transfer = await institute.api.post<{ id: string }>('/transfers', { agreementId: agreed.agreementId, format: 'HttpData-PULL' });
      await source.pullStarted;
      const receivedDir = join(institute.dataDir, 'received');
      const onDisk = await until(
        'partial download',
        () => partialBytes(receivedDir),
        (bytes) => bytes > 0,
        { timeoutMs: 20_000 },
      );

      await killHard(institute);
      source.release();
      institute = await spec.start();

      const done = await until(
        'transfer',
        () => institute.api.get<{ state: string; reasons: string[]; receivedPath: string; digest: string }>(`/transfers/${encodeURIComponent(transfer.id)}`),
        (t) => t.state === 'COMPLETED' || t.state === 'TERMINATED',
        { timeoutMs: 20_000 },
      );
      expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
      expect(readFileSync(done.receivedPath).equals(source.bytes)).toBe(true);
      expect(done.digest).toBe(createHash('sha256').update(source.bytes).digest('base64'));
      // The provider asked its source for the rest only: the consumer resumed from its partial file.
      const resumedAt = Number(/^bytes=(\d+)-/.exec(source.ranges.at(-1) ?? '')?.[1]);
      expect(resumedAt).toBeGreaterThanOrEqual(onDisk);
    } finally {
      await institute.stop();
    }
  }, 90_000);
});
