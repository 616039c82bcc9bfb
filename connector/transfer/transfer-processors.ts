import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import type { OutboxMessage } from '../storage/outbox-store.ts';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import { isFinalTransfer, transferMachine, type TransferMessage, type TransferState } from '../../contracts/transfer/state-machine.ts';
import { httpDataAddress, tokenOf, transferCompletionMessage, transferStartMessage } from '../../contracts/transfer/messages.ts';
import type { ProcessAction } from '../processing/processor.ts';
import { peerIsPast } from '../processing/peer-state.ts';
import type { Payload } from '../data-plane/payload.ts';
import type { ReleaseReport } from '../../health/report.ts';
import { ReleaseProblem } from './release-plans.ts';
import { decodeReleaseReport } from './release-report.ts';
import { hashToken } from '../data-plane/tokens.ts';
import { IntegrityError, pullToFile } from '../data-plane/pull.ts';
import { pushPayload } from '../data-plane/push.ts';
import { pidsOf, TOKEN_LIFETIME_MS, type TransferDeps, type TransferSteps } from './transfer-steps.ts';

/** The agreement allows no more transfers: the start's transaction is rolled back with these reasons. */
class CountRefused extends Error {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(reasons.join('; '));
    this.reasons = reasons;
  }
}

/** How a processor action reaches the data: the payload of a dataset and where a consumer stores what it receives. */
export interface TransferData {
  /**
   * Provider, at start: the transfer's payload and its digest, and for a released transfer (release rules in the
   * agreement) the release date it is fixed to and the release report. Throws ReleaseProblem when it cannot be released.
   */
  prepare(t: Transfer): Promise<{ payload: Payload; digest: string; release?: { date: string; report: ReleaseReport } }>;
  /** The payload of a started transfer (its measured size and digest spare an http(s) source a re-read). */
  payloadFor(t: Transfer): Promise<Payload>;
  receivedPathOf(t: Transfer, name: string): string;
}

/**
 * The actions a transfer is owed: the provider starts a requested transfer (checks the agreement, measures
 * the data, mints a pull token or pushes); the consumer pulls a started one. Pulls and pushes run in the
 * data plane under the processor's lease, renewed while they run; a crash leaves them owed, so they resume
 * (by Range, from the partial file) after restart or on another replica.
 */
export function transferProcessors(deps: TransferDeps, steps: TransferSteps, data: TransferData) {
  const { store } = deps;

  async function owed(id: string, action: string, state: TransferState): Promise<Transfer | undefined> {
    const t = await store.get(id);
    return t && t.nextAction === action && t.state === state ? t : undefined;
  }

  /** Runs a data-plane job with the transfer's job slot, renewing the processor's lease until it ends. */
  async function asJob(
    t: Transfer,
    work: { renewLease: () => Promise<boolean>; leaseMs: number; signal: AbortSignal },
    job: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const slot = deps.jobs.begin(t.id);
    if (!slot) return;
    const stop = () => slot.abort();
    work.signal.addEventListener('abort', stop);
    // Losing the lease means the control plane moved the transfer on (or another replica took it): stop.
    const heartbeat = setInterval(
      () =>
        void work.renewLease().then(
          (held) => held || stop(),
          () => undefined,
        ),
      work.leaseMs / 3,
    );
    try {
      await job(slot.signal);
    } finally {
      clearInterval(heartbeat);
      work.signal.removeEventListener('abort', stop);
      deps.jobs.end(t.id, slot);
    }
  }

  /**
   * Provider, REQUESTED: the agreement must still allow one more transfer (then it is counted), the data is
   * measured and hashed, and a short-lived token is minted; the start message tells the consumer where to
   * pull, or the push is owed next. Anything refused terminates the transfer with the reasons.
   */
  const start: ProcessAction = async (id, work) => {
    const t = await owed(id, 'start', 'REQUESTED');
    if (!t) return;
    const refused = await steps.refusals(t, false);
    if (refused.length > 0) {
      await steps.stop(t, 'TERMINATED', 'agreement', refused);
      return;
    }
    let prepared: Awaited<ReturnType<TransferData['prepare']>>;
    // Measuring a large source, or planning its release, can outlast the lease: keep it while it runs.
    const heartbeat = setInterval(() => void work.renewLease().catch(() => undefined), work.leaseMs / 3);
    try {
      prepared = await data.prepare(t);
    } catch (error) {
      if (error instanceof ReleaseProblem) await steps.stop(t, 'TERMINATED', 'release', [error.message]);
      // Where the source lives (and where it redirected) is the hospital's business: the consumer learns only that it failed.
      else await steps.stop(t, 'TERMINATED', 'source', [`the data source cannot be read: ${(error as Error).message}`], true, ['the provider cannot read the data source']);
      return;
    } finally {
      clearInterval(heartbeat);
    }
    const { payload, digest, release } = prepared;
    const token = randomBytes(32).toString('base64url');
    const pull = t.format === 'HttpData-PULL';
    const endpoint = `${deps.publicUrl}/data/${encodeURIComponent(t.id)}`;
    const dataset = await deps.datasets.get(t.datasetId);
    const reserved = await steps
      .commit(async (trx) => {
        const grant = pull ? { tokenHash: hashToken(token), tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() } : {};
        const body = transferStartMessage({ ...pidsOf(t), ...(pull ? { dataAddress: httpDataAddress(endpoint, token) } : {}) });
        if (
          !(await steps.advance(
            trx,
            t,
            'TransferStartMessage',
            'provider',
            {
              name: payload.name,
              size: payload.size,
              digest,
              ...grant,
              ...(release ? { releaseDate: release.date, release: release.report as unknown as Record<string, unknown> } : {}),
              next: pull ? null : 'push',
            },
            body,
          ))
        )
          return [];
        // The count is reserved and checked in one transaction (the agreement's row is locked by the update), so
        // concurrent starts under an agreement allowing n transfers start exactly n; a refusal rolls it all back.
        await deps.agreements.countTransfer(t.agreementId, trx);
        const counted = await deps.agreements.agreement(t.agreementId, trx);
        const over = counted ? deps.policyRefusals(counted, dataset?.healthCategories ?? [], counted.transferCount - 1) : ['the agreement is gone'];
        if (over.length > 0) throw new CountRefused(over);
        return [];
      })
      .catch((error) => {
        if (error instanceof CountRefused) return error.reasons;
        throw error;
      });
    if (reserved.length > 0) await steps.stop(t, 'TERMINATED', 'agreement', reserved);
  };

  /** Provider, STARTED push: streams the payload to the consumer's endpoint, then completes. */
  const push: ProcessAction = async (id, work) => {
    const t = await owed(id, 'push', 'STARTED');
    if (!t?.dataAddress || !t.digest) return;
    await asJob(t, work, async (signal) => {
      try {
        const payload = await data.payloadFor(t);
        await pushPayload(payload, t.digest!, t.dataAddress!.endpoint, tokenOf(t.dataAddress!)!, signal, deps.egress);
      } catch (error) {
        if (signal.aborted) return;
        await steps.stop(t, 'TERMINATED', 'push', [`pushing the data failed: ${(error as Error).message}`]);
        return;
      }
      await steps.commit((trx) => steps.advance(trx, t, 'TransferCompletionMessage', 'provider', { next: null }, transferCompletionMessage(pidsOf(t))), t.id);
    });
  };

  /** Consumer, STARTED pull: downloads with resume; completes once the digest matches, else terminates with the reason. */
  const pull: ProcessAction = async (id, work) => {
    const t = await owed(id, 'pull', 'STARTED');
    if (!t?.dataAddress) return;
    await asJob(t, work, async (signal) => {
      const name = decodeURIComponent(new URL(t.dataAddress!.endpoint).pathname.split('/').pop() ?? 'data');
      const destination = data.receivedPathOf(t, `${name.replace(/^urn_uuid_/, '')}.data`);
      let received: Awaited<ReturnType<typeof pullToFile>>;
      try {
        received = await pullToFile({
          url: t.dataAddress!.endpoint,
          token: tokenOf(t.dataAddress!)!,
          destination,
          signal,
          egress: deps.egress,
          onProgress: (p) => deps.jobs.report(id, p),
        });
      } catch (error) {
        if (signal.aborted) return;
        await store.update(id, { bytesDone: deps.jobs.progress(id)?.bytes ?? 0 });
        const reason = error instanceof IntegrityError ? error.message : `the download failed: ${(error as Error).message}`;
        const current = await store.get(id);
        if (current?.state === 'STARTED') await steps.stop(current, 'TERMINATED', error instanceof IntegrityError ? 'integrity' : 'download', [reason]);
        return;
      }
      // Stored under the name the provider gave it (Content-Disposition), sanitized, beside nothing else.
      const named = received.filename ? data.receivedPathOf(t, received.filename) : destination;
      if (named !== destination) await rename(destination, named);
      const release = decodeReleaseReport(received.releaseReport);
      if (received.releaseReport && !release) deps.logger.warn('the provider sent a release report that is not valid; it was not kept', { transfer: id });
      await store.update(id, {
        receivedPath: named,
        size: received.size,
        digest: received.digest,
        digestVerified: received.digestVerified,
        bytesDone: received.size,
        ...(release ? { release: release as unknown as Record<string, unknown> } : {}),
      });
      const current = (await store.get(id))!;
      if (current.state === 'STARTED')
        await steps.commit((trx) => steps.advance(trx, current, 'TransferCompletionMessage', 'consumer', { next: null }, transferCompletionMessage(pidsOf(current))), id);
      if (!received.digestVerified) deps.logger.warn('the provider sent no Repr-Digest: the digest was computed here, unverified by the provider', { transfer: id });
      deps.logger.info('transfer received', { transfer: id, bytes: received.size });
    });
  };

  return { start, push, pull };
}

/**
 * What the outbox does with transfer messages: learn the provider's pid from the answer to our request;
 * when a peer refuses a message, read its process and count the message delivered if the peer is already
 * past it; when a message cannot be delivered, end the transfer here.
 */
export function transferDelivery(deps: TransferDeps, steps: TransferSteps) {
  const { store } = deps;
  return {
    async delivered(message: OutboxMessage, response: { status: number; body: unknown }) {
      const providerPid = (response.body as { providerPid?: unknown } | undefined)?.providerPid;
      if (message.messageType !== 'TransferRequestMessage' || typeof providerPid !== 'string') return;
      const t = await store.get(message.processId);
      if (t && !t.providerPid) await store.update(t.id, { providerPid });
    },
    refused: async (message: OutboxMessage) =>
      peerIsPast(deps.dspFetch, await store.get(message.processId), 'transfers', transferMachine.reached(message.messageType as TransferMessage)),
    async gaveUp(message: OutboxMessage, reason: string) {
      const t = await store.get(message.processId);
      if (t && !isFinalTransfer(t.state)) await steps.stop(t, 'TERMINATED', 'unreachable', [`could not deliver ${message.messageType}: ${reason}`], false);
    },
  };
}
