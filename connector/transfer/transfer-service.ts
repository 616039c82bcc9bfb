import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import type { WorkQueueStore } from '../storage/work-queue-store.ts';
import type { MetricsRegistry } from '../http/metrics.ts';
import { createProcessor, type ProcessorOptions } from '../processing/processor.ts';
import { resolveDataSource } from '../catalog/data-source.ts';
import { payloadDigest, payloadOf, type Payload } from '../data-plane/payload.ts';
import { PayloadUnavailableError } from '../data-plane/release-payload.ts';
import { rememberDigest } from '../data-plane/digest-cache.ts';
import type { ReleaseReport } from '../../health/report.ts';
import { releasePlanner, releaseRulesOf, ReleaseProblem, type ReleaseInputs } from './release-plans.ts';
import { decodeReleaseReport } from './release-report.ts';
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
  /** The provider's release key (identity/release-key.ts): each agreement's pseudonymisation secret derives from it. */
  releaseKey: Uint8Array;
}

/**
 * DSP transfer processes in both roles: handlers of incoming messages, local actions, the processor that
 * starts, pulls and pushes, and the ports the data plane reaches the control plane through.
 */
export function createTransferService(parts: TransferServiceParts) {
  let wake = () => {};
  // Released transfers are staged under the data directory, deleted when the transfer leaves STARTED.
  const releases = releasePlanner({ releaseKey: parts.releaseKey, stagingDir: join(parts.dataDir, 'release-staging'), logger: parts.logger });
  const deps: TransferDeps = { ...parts, wake: () => wake(), leftStarted: releases.forget };
  const steps = transferSteps(deps);
  const { store } = deps;

  const receivedPathOf = (t: Transfer, name: string) => join(deps.dataDir, 'received', t.id.replace(/[^\w-]/g, '_'), name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_') || 'data');

  /** A dataset's source and the name the consumer stores it under: the file or folder's own name, or the URL's last segment. */
  async function sourceOf(datasetId: string) {
    const dataset = await deps.datasets.get(datasetId);
    if (!dataset) throw new Error(`dataset ${datasetId} is no longer offered`);
    const source = resolveDataSource(deps.dataRoot, dataset.source);
    const base = source.kind === 'file' ? basename(source.path) : decodeURIComponent(new URL(source.url).pathname.split('/').pop() ?? '');
    return { source, name: (base || dataset.identifier.split(/[/:#]/).pop() || 'dataset').replace(/[^\w.-]/g, '_') };
  }

  /**
   * The source as it is. `measured` (size and digest recorded at the start) spares an http(s) source from being
   * read through again on every pull; a source that changed since fails the digest check.
   */
  async function plainPayload({ source, name }: Awaited<ReturnType<typeof sourceOf>>, measured?: { size: number | null; digest: string | null }): Promise<Payload> {
    if (source.kind === 'file') return payloadOf(source.path, name);
    return measured?.size != null && measured.digest
      ? measuredHttpPayload(source.url, name, measured.size, measured.digest, deps.egress)
      : httpPayload(source.url, name, deps.egress);
  }

  /** The release inputs of a transfer whose agreement names release rules, or undefined (the source is served as it is). */
  async function releaseInputsOf(t: Transfer, at: ReleaseInputs['releaseDate']): Promise<ReleaseInputs | undefined> {
    const agreement = await deps.agreements.agreement(t.agreementId);
    const rules = agreement ? releaseRulesOf(agreement.agreement) : undefined;
    if (!rules) return undefined;
    const { source, name } = await sourceOf(t.datasetId);
    if (source.kind !== 'file') throw new ReleaseProblem('release rules need a folder of FHIR NDJSON files; this dataset is an http(s) source');
    if (!(await stat(source.path)).isDirectory()) throw new ReleaseProblem('release rules need a folder of FHIR NDJSON files; this dataset is a single file');
    return { transferId: t.id, agreementId: t.agreementId, rules, folder: source.path, name, releaseDate: at };
  }

  async function prepare(t: Transfer) {
    const releaseDate = new Date();
    const inputs = await releaseInputsOf(t, releaseDate);
    if (!inputs) {
      const payload = await plainPayload(await sourceOf(t.datasetId));
      return { payload, digest: await payloadDigest(payload) };
    }
    const { payload, report } = await releases.released(inputs);
    return { payload, digest: await payloadDigest(payload), release: { date: releaseDate.toISOString(), report } };
  }

  /** A started transfer's payload: the source, or its release planned again at the recorded date (same bytes, or SourceChangedError). */
  async function payloadFor(t: Transfer): Promise<Payload> {
    if (!t.releaseDate) return plainPayload(await sourceOf(t.datasetId), t);
    const inputs = await releaseInputsOf(t, new Date(t.releaseDate));
    if (!inputs) throw new ReleaseProblem(`the agreement ${t.agreementId} of this released transfer no longer names release rules`);
    const { payload } = await releases.released({ ...inputs, expected: (t.release as unknown as ReleaseReport | null)?.files ?? [] });
    // The archive is a function of its files (names, sizes, digests) and the release date, which match the start's:
    // its digest is the one recorded then, so a re-plan after a restart needs no extra pass to hash it.
    if (t.digest) rememberDigest(payload.fingerprint, t.digest);
    return payload;
  }

  /** Serving a released transfer whose source changed ends it, with the reason, instead of failing every resume. */
  async function servedPayload(t: Transfer): Promise<Payload> {
    try {
      return await payloadFor(t);
    } catch (error) {
      if (error instanceof PayloadUnavailableError) await steps.stop(t, 'TERMINATED', 'source', [error.message]);
      throw error;
    }
  }
  const data: TransferData = { prepare, payloadFor, receivedPathOf };

  const processor = createProcessor('transfer', parts.queue, transferProcessors(deps, steps, data), parts.processor, { logger: parts.logger, metrics: parts.metrics });
  wake = processor.wake;
  parts.outbox.handle(TRANSFER_KIND, transferDelivery(deps, steps));

  const dataPlanePorts: DataPlanePorts = {
    async servedGrant(id) {
      const t = await store.get(id);
      if (t?.role !== 'provider') return undefined;
      return { tokenHash: t.tokenHash, expiresAt: t.tokenExpiresAt, state: t.state, payload: () => servedPayload(t) };
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
      if (t?.role !== 'consumer' || t.format !== 'HttpData-PUSH') return undefined;
      return { tokenHash: t.tokenHash, expiresAt: t.tokenExpiresAt, state: t.state, destination: (name) => receivedPathOf(t, name) };
    },
    async received(id, result) {
      const release = decodeReleaseReport(result.releaseReport);
      await store.update(id, {
        receivedPath: result.path,
        size: result.size,
        digest: result.digest,
        bytesDone: result.size,
        ...(release ? { release: release as unknown as Record<string, unknown> } : {}),
      });
    },
  };

  return { store, jobs: deps.jobs, ...transferHandlers(deps, steps), ...transferActions(deps, steps), dataPlanePorts, processor };
}

export type TransferService = ReturnType<typeof createTransferService>;
