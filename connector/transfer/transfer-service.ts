import { basename, join } from 'node:path';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import type { WorkQueueStore } from '../storage/work-queue-store.ts';
import type { MetricsRegistry } from '../http/metrics.ts';
import { createProcessor, type ProcessorOptions } from '../processing/processor.ts';
import { resolveDataSource } from '../catalog/data-source.ts';
import { payloadOf, type Payload } from '../data-plane/payload.ts';
import { httpPayload, measuredHttpPayload } from '../data-plane/http-source.ts';
import type { DataPlanePorts } from '../data-plane/data-routes.ts';
import { transferSteps, TRANSFER_KIND, type TransferDeps } from './transfer-steps.ts';
import { transferHandlers } from './transfer-handlers.ts';
import { transferActions } from './transfer-actions.ts';
import { transferDelivery, transferProcessors, type TransferData } from './transfer-processors.ts';

export { TransferProblem, TRANSFER_KIND } from './transfer-steps.ts';

export interface TransferServiceParts extends Omit<TransferDeps, 'wake'> {
  queue: WorkQueueStore;
  metrics: MetricsRegistry;
  processor: ProcessorOptions;
}

/**
 * DSP transfer processes in both roles: handlers of incoming messages, local actions, the processor that
 * starts, pulls and pushes, and the ports the data plane reaches the control plane through.
 */
export function createTransferService(parts: TransferServiceParts) {
  let wake = () => {};
  const deps: TransferDeps = { ...parts, wake: () => wake() };
  const steps = transferSteps(deps);
  const { store } = deps;

  const receivedPathOf = (t: Transfer, name: string) => join(deps.dataDir, 'received', t.id.replace(/[^\w-]/g, '_'), name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_') || 'data');

  /**
   * The payload of a dataset's source. `measured` (size and digest recorded at the start) spares an http(s)
   * source from being read through again on every pull; a source that changed since fails the digest check.
   */
  async function payloadFor(datasetId: string, measured?: { size: number | null; digest: string | null }): Promise<Payload> {
    const dataset = await deps.datasets.get(datasetId);
    if (!dataset) throw new Error(`dataset ${datasetId} is no longer offered`);
    const source = resolveDataSource(deps.dataRoot, dataset.source);
    // The name the consumer stores it under: the file or folder's own name, or the URL's last segment.
    const base = source.kind === 'file' ? basename(source.path) : decodeURIComponent(new URL(source.url).pathname.split('/').pop() ?? '');
    const name = (base || dataset.identifier.split(/[/:#]/).pop() || 'dataset').replace(/[^\w.-]/g, '_');
    if (source.kind === 'file') return payloadOf(source.path, name);
    return measured?.size != null && measured.digest ? measuredHttpPayload(source.url, name, measured.size, measured.digest) : httpPayload(source.url, name);
  }
  const data: TransferData = { payloadFor, receivedPathOf };

  const processor = createProcessor('transfer', parts.queue, transferProcessors(deps, steps, data), parts.processor, { logger: parts.logger, metrics: parts.metrics });
  wake = processor.wake;
  parts.outbox.handle(TRANSFER_KIND, transferDelivery(deps, steps));

  const dataPlanePorts: DataPlanePorts = {
    async servedGrant(id) {
      const t = await store.get(id);
      if (!t || t.role !== 'provider') return undefined;
      return { tokenHash: t.tokenHash, expiresAt: t.tokenExpiresAt, state: t.state, payload: () => payloadFor(t.datasetId, t) };
    },
    async mayProceed(id) {
      const t = await store.get(id);
      return t ? steps.refusals(t, true) : ['no such transfer'];
    },
    async refused(id, reasons) {
      const t = await store.get(id);
      if (t?.state === 'STARTED') await steps.stop(t, 'TERMINATED', 'agreement', reasons);
    },
    async receivingGrant(id) {
      const t = await store.get(id);
      if (!t || t.role !== 'consumer' || t.format !== 'HttpData-PUSH') return undefined;
      return { tokenHash: t.tokenHash, expiresAt: t.tokenExpiresAt, state: t.state, destination: (name) => receivedPathOf(t, name) };
    },
    async received(id, result) {
      await store.update(id, { receivedPath: result.path, size: result.size, digest: result.digest, bytesDone: result.size });
    },
  };

  return { store, jobs: deps.jobs, ...transferHandlers(deps, steps), ...transferActions(deps, steps), dataPlanePorts, processor };
}

export type TransferService = ReturnType<typeof createTransferService>;
