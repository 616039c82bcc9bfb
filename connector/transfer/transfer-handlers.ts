import type { Transfer, TransferChange } from '../../contracts/transfer/transfer.ts';
import { peerActor } from '../../contracts/audit/events.ts';
import { transferMachine, type TransferMessage } from '../../contracts/transfer/state-machine.ts';
import { tokenOf, TRANSFER_FORMATS, type TransferFormat, type TransferIncoming } from '../../contracts/transfer/messages.ts';
import { credentialDigest } from '../../contracts/credentials/verifier.ts';
import type { Caller } from '../trust/trust-services.ts';
import { answerOf, newPid, peerRole, TOKEN_LIFETIME_MS, TransferProblem, withoutTrailingSlash, type TransferDeps, type TransferSteps } from './transfer-steps.ts';

type Answer = { status: 200 | 201; body: unknown };
const OK: Answer = { status: 200, body: null };
type PeerMessage = 'TransferSuspensionMessage' | 'TransferCompletionMessage' | 'TransferTerminationMessage';

/**
 * Incoming DSP transfer messages: authenticate against the process, validate, apply the table's transition
 * with what the processor needs, in one transaction, and answer. Starting, pulling and pushing data is the
 * processor's and the data plane's, never a request's.
 */
export function transferHandlers(deps: TransferDeps, steps: TransferSteps) {
  const { store } = deps;

  async function mine(pid: string, caller: Caller, other: { providerPid?: string; consumerPid?: string }): Promise<Transfer> {
    const t = await store.get(pid);
    if (!t || t.counterpartyDid !== caller.did) throw new TransferProblem(404, [`No transfer process ${pid}`], other);
    return t;
  }

  /** Applies an incoming message; a repeat of one already applied (same content) changes nothing. */
  async function receive(pid: string, caller: Caller, message: TransferMessage, body: object, change: (t: Transfer) => Omit<TransferChange, 'state'>): Promise<Transfer> {
    const digest = credentialDigest(body);
    for (let attempt = 0; ; attempt++) {
      const t = await mine(pid, caller, body as { providerPid?: string; consumerPid?: string });
      const step = transferMachine.next(message, peerRole(t), t.state, await deps.received.seen(t.id, digest));
      if (!step.ok) throw new TransferProblem(400, [step.reason], t);
      if (step.repeated) return t;
      const moved = await steps.commit(async (trx) => {
        const final = step.to === 'COMPLETED' || step.to === 'TERMINATED';
        const ended = {
          ...(final ? { next: null } : {}),
          ...(final && t.role === 'provider' ? { tokenHash: null } : {}),
          ...(step.to === 'COMPLETED' ? { completedAt: new Date().toISOString() } : {}),
        };
        const changed = change(t);
        if (!(await store.move(trx, t.id, t.state, { ...ended, ...changed, state: step.to, lastMessage: message }))) return false;
        await deps.received.record(trx, t.id, digest, message);
        await steps.recordMove(trx, t, step.to, 'peer', changed.reasons ?? [], peerActor(caller.did));
        return true;
      }, t.id);
      if (moved) return (await store.get(t.id))!;
      if (attempt >= 2) throw new TransferProblem(409, ['the transfer changed while this message was applied; send it again'], t);
    }
  }

  async function onRequest(msg: TransferIncoming<'TransferRequestMessage'>, caller: Caller): Promise<Answer> {
    const existing = await store.byConsumerPid(caller.did, msg.consumerPid);
    if (existing) return { status: 201, body: answerOf(existing) };
    if (!TRANSFER_FORMATS.includes(msg.format as TransferFormat)) throw new TransferProblem(400, [`format must be one of ${TRANSFER_FORMATS.join(', ')}`], msg);
    if (msg.format === 'HttpData-PUSH' && (!msg.dataAddress || !tokenOf(msg.dataAddress)))
      throw new TransferProblem(400, ['a push transfer needs a dataAddress with an authorization token'], msg);
    if (!(await deps.peerOwns(caller.did, msg.callbackAddress)))
      throw new TransferProblem(400, ["the callbackAddress is not at an origin of the caller's own services (its DID document)"], msg);
    if (msg.dataAddress && !(await deps.peerOwns(caller.did, msg.dataAddress.endpoint)))
      throw new TransferProblem(400, ["the push endpoint is not at an origin of the caller's own services (its DID document)"], msg);
    const agreement = await steps.agreementFor({ agreementId: msg.agreementId, counterpartyDid: caller.did }, 'provider');
    if (!agreement) throw new TransferProblem(400, [`${msg.agreementId} is not a finalized agreement with ${caller.did}`], msg);
    const id = newPid();
    const t = {
      id,
      role: 'provider' as const,
      consumerPid: msg.consumerPid,
      providerPid: id,
      state: 'REQUESTED' as const,
      agreementId: agreement.id,
      datasetId: agreement.datasetId,
      format: msg.format,
      counterpartyDid: caller.did,
      counterpartyAddress: withoutTrailingSlash(msg.callbackAddress),
      dataAddress: msg.dataAddress ?? null,
      lastMessage: 'TransferRequestMessage',
    };
    await steps.commit(async (trx) => {
      // Held for the operator's release review (reviewTransfers): REQUESTED with nothing owed until approved.
      await store.insert(trx, { ...t, next: deps.reviewTransfers ? null : 'start' });
      await deps.received.record(trx, id, credentialDigest(msg), 'TransferRequestMessage');
    });
    return { status: 201, body: answerOf((await store.get(id))!) };
  }

  async function onStart(pid: string, msg: TransferIncoming<'TransferStartMessage'>, caller: Caller): Promise<Answer> {
    if (msg.dataAddress && !(await deps.peerOwns(caller.did, msg.dataAddress.endpoint)))
      throw new TransferProblem(400, ["the pull endpoint is not at an origin of the provider's own services (its DID document)"], msg);
    await receive(pid, caller, 'TransferStartMessage', msg, (t) => {
      if (t.role === 'consumer')
        return {
          providerPid: msg.providerPid,
          ...(msg.dataAddress ? { dataAddress: msg.dataAddress } : {}),
          // pullOnStart off: the data waits for the operator's pull (POST /api/transfers/:id/pull).
          next: t.format === 'HttpData-PULL' && deps.pullOnStart ? 'pull' : null,
        };
      // The consumer resumed: its pull token lives on; a push starts again.
      return { tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString(), next: t.format === 'HttpData-PUSH' ? 'push' : null };
    });
    return OK;
  }

  async function onPeerMessage(
    pid: string,
    message: PeerMessage,
    msg: { code?: string; reason?: unknown[]; providerPid: string; consumerPid: string },
    caller: Caller,
  ): Promise<Answer> {
    const reasons = (msg.reason ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
    const verb = message === 'TransferSuspensionMessage' ? 'suspended' : message === 'TransferTerminationMessage' ? 'terminated' : 'completed';
    const why = message === 'TransferCompletionMessage' ? {} : { reasons: [`${verb} by ${caller.did}${msg.code ? ` (${msg.code})` : ''}`, ...reasons] };
    await receive(pid, caller, message, msg, () => ({ ...why, next: null }));
    return OK;
  }

  async function get(pid: string, caller: Caller): Promise<Answer> {
    return { status: 200, body: answerOf(await mine(pid, caller, {})) };
  }

  return { onRequest, onStart, onPeerMessage, get };
}
