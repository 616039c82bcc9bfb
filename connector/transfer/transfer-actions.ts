import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import { isFinalTransfer } from '../../contracts/transfer/state-machine.ts';
import { httpDataAddress, transferCompletionMessage, transferRequestMessage, transferStartMessage, type TransferFormat } from '../../contracts/transfer/messages.ts';
import { hashToken } from '../data-plane/tokens.ts';
import { agreementDuties } from './enforcement.ts';
import { newPid, pidsOf, TOKEN_LIFETIME_MS, TransferProblem, type TransferDeps, type TransferSteps } from './transfer-steps.ts';
import { dspAddressOf } from '../http/dsp-path.ts';

/** Provider: a request held for the operator's release review (reviewTransfers). */
export const awaitsApproval = (t: Transfer) => t.role === 'provider' && t.state === 'REQUESTED' && t.nextAction === null;

/**
 * What this side starts: a consumer's transfer request; an operator's approval of a held request, pull, suspend,
 * resume, complete or terminate; and the periodic enforcement that ends transfers whose agreement lapsed and honours delete
 * duties. Each state change is a row of the transition table, applied with the message it sends.
 */
export function transferActions(deps: TransferDeps, steps: TransferSteps) {
  const { store } = deps;

  /** Requests a transfer under a FINALIZED agreement, from the provider's address in the negotiation (or `providerAddress`). */
  async function start(input: { agreementId: string; format: TransferFormat; providerAddress?: string }): Promise<Transfer> {
    const agreement = await deps.agreements.agreement(input.agreementId);
    if (agreement?.role !== 'consumer') throw new TransferProblem(404, [`No agreement ${input.agreementId} held by this connector as consumer`]);
    const negotiation = await deps.agreements.get(agreement.negotiationId);
    if (negotiation?.state !== 'FINALIZED')
      throw new TransferProblem(409, [`the agreement's negotiation is ${negotiation?.state ?? 'gone'}; data moves only under a FINALIZED agreement`]);
    const id = newPid();
    const pushToken = randomBytes(32).toString('base64url');
    const dataAddress = input.format === 'HttpData-PUSH' ? httpDataAddress(`${deps.publicUrl}/data/incoming/${encodeURIComponent(id)}`, pushToken) : null;
    const t = {
      id,
      role: 'consumer' as const,
      consumerPid: id,
      providerPid: null,
      state: 'REQUESTED' as const,
      agreementId: agreement.id,
      datasetId: agreement.datasetId,
      format: input.format,
      counterpartyDid: agreement.providerDid,
      counterpartyAddress: input.providerAddress ?? negotiation.counterpartyAddress,
      dataAddress,
      lastMessage: 'TransferRequestMessage',
    };
    const body = transferRequestMessage({
      consumerPid: id,
      agreementId: agreement.id,
      format: input.format,
      callbackAddress: dspAddressOf(deps.publicUrl),
      ...(dataAddress ? { dataAddress } : {}),
    });
    await steps.commit(async (trx) => {
      await store.insert(trx, t);
      if (dataAddress) await store.move(trx, id, 'REQUESTED', { tokenHash: hashToken(pushToken), tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() });
      await steps.enqueue(trx, { ...(await store.get(id, trx))! }, 'TransferRequestMessage', body, 0);
    });
    return (await store.get(id))!;
  }

  async function existing(id: string, allowed: (t: Transfer) => boolean, refusal: (t: Transfer) => string): Promise<Transfer | undefined> {
    const t = await store.get(id);
    if (t && !allowed(t)) throw new TransferProblem(409, [refusal(t)], t);
    return t;
  }

  async function suspend(id: string, reason: string) {
    const t = await existing(
      id,
      (t) => t.state === 'STARTED',
      (t) => `only a STARTED transfer can be suspended (it is ${t.state})`,
    );
    if (!t) return undefined;
    await steps.stop(t, 'SUSPENDED', 'suspended', [reason]);
    return store.get(id);
  }

  /** Provider: a fresh pull token in a new start message (or the push again). Consumer: a start message, then the pull continues. */
  async function resume(id: string) {
    const t = await existing(
      id,
      (t) => t.state === 'SUSPENDED',
      (t) => `only a SUSPENDED transfer can be resumed (it is ${t.state})`,
    );
    if (!t) return undefined;
    const pull = t.format === 'HttpData-PULL';
    if (t.role === 'provider') {
      const refused = await steps.refusals(t, true);
      if (refused.length > 0) throw new TransferProblem(409, refused, t);
      const token = randomBytes(32).toString('base64url');
      const grant = pull ? { tokenHash: hashToken(token), tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() } : {};
      const body = transferStartMessage({ ...pidsOf(t), ...(pull ? { dataAddress: httpDataAddress(`${deps.publicUrl}/data/${encodeURIComponent(t.id)}`, token) } : {}) });
      await steps.commit((trx) => steps.advance(trx, t, 'TransferStartMessage', 'provider', { ...grant, next: pull ? null : 'push' }, body));
    } else {
      // The pull resumes at once; until the provider has recorded the start, its data plane answers 409 and the pull retries.
      await steps.commit((trx) => steps.advance(trx, t, 'TransferStartMessage', 'consumer', { next: pull && deps.pullOnStart ? 'pull' : null }, transferStartMessage(pidsOf(t))));
    }
    return store.get(id);
  }

  /** Provider: the operator releases a request held for review (reviewTransfers); the processor starts it (checks, measures, tells the consumer). */
  async function approve(id: string) {
    const t = await existing(
      id,
      (t) => awaitsApproval(t),
      (t) => `only a REQUESTED transfer held for review can be approved (it is ${t.state}${t.nextAction ? `, ${t.nextAction} owed` : ''})`,
    );
    if (!t) return undefined;
    await steps.commit(async (trx) => {
      if (!(await store.move(trx, t.id, 'REQUESTED', { state: 'REQUESTED', next: 'start' }))) throw new TransferProblem(409, ['the transfer changed meanwhile'], t);
      await deps.audit.record(trx, {
        type: 'transfer.approved',
        actor: 'operator',
        subjects: { transferId: t.id, agreementId: t.agreementId },
        details: { datasetId: t.datasetId, counterpartyDid: t.counterpartyDid },
      });
    });
    return store.get(id);
  }

  /** Consumer: the operator asks for the data of a started pull transfer that waits (pullOnStart off, or a failed-over pull). */
  async function pullNow(id: string) {
    const t = await existing(
      id,
      (t) => t.role === 'consumer' && t.state === 'STARTED' && t.format === 'HttpData-PULL' && !!t.dataAddress && t.nextAction === null,
      (t) => `only a STARTED pull transfer of this consumer that is not already pulling can be pulled (it is ${t.state})`,
    );
    if (!t) return undefined;
    await steps.commit((trx) => store.move(trx, t.id, 'STARTED', { state: 'STARTED', next: 'pull' }));
    return store.get(id);
  }

  /** Either side declares a started transfer complete (a provider ending a pull it has served, say). */
  async function complete(id: string) {
    const t = await existing(
      id,
      (t) => t.state === 'STARTED',
      (t) => `only a STARTED transfer can be completed (it is ${t.state})`,
    );
    if (!t) return undefined;
    await steps.commit((trx) => steps.advance(trx, t, 'TransferCompletionMessage', t.role, { next: null }, transferCompletionMessage(pidsOf(t))), t.id);
    return store.get(id);
  }

  async function terminate(id: string, reason: string) {
    const t = await existing(
      id,
      (t) => !isFinalTransfer(t.state),
      (t) => `the transfer is already ${t.state}`,
    );
    if (!t) return undefined;
    await steps.stop(t, 'TERMINATED', 'terminated', [reason]);
    return store.get(id);
  }

  /**
   * Provider: ends live transfers whose agreement no longer allows them (expired, credentials revoked).
   * Consumer: deletes received data whose agreement's delete duty fell due.
   */
  async function enforce(): Promise<void> {
    for (const t of await store.active('provider')) {
      if (t.state === 'REQUESTED') continue; // the start action checks it
      const refused = await steps.refusals(t, true);
      if (refused.length > 0) await steps.stop(t, 'TERMINATED', 'agreement', refused);
    }
    for (const t of await store.withReceivedData()) {
      const agreement = await deps.agreements.agreement(t.agreementId);
      const due = agreement && agreementDuties(agreement).find((d) => d.action === 'delete' && d.dueAt && Date.parse(d.dueAt) <= Date.now());
      if (!due) continue;
      await rm(join(t.receivedPath!, '..'), { recursive: true, force: true });
      await store.update(t.id, { deletedAt: new Date().toISOString() });
      deps.logger.info('received data deleted as the agreement requires', { transfer: t.id, agreement: t.agreementId, dueAt: due.dueAt });
    }
  }

  return { start, approve, pull: pullNow, suspend, resume, complete, terminate, enforce };
}
