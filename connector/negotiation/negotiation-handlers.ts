import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.ts';
import type { Negotiation, NegotiationChange } from '../../contracts/negotiation/negotiation.ts';
import { negotiationMachine, type NegotiationMessage } from '../../contracts/negotiation/state-machine.ts';
import type { Incoming } from '../../contracts/negotiation/messages.ts';
import { peerActor } from '../../contracts/audit/events.ts';
import { credentialDigest } from '../../contracts/credentials/verifier.ts';
import { sameTerms } from '../../contracts/policy/canonical.ts';
import type { Caller } from '../trust/trust-services.ts';
import { newNegotiation, answerOf, newPid, NegotiationProblem, peerRole, type NegotiationDeps, type NegotiationSteps } from './negotiation-steps.ts';

type Answer = { status: 200 | 201; body: unknown };
const OK: Answer = { status: 200, body: null };
export const NOT_THE_CALLERS = "the callbackAddress is not at an origin of the caller's own services (its DID document)";

/**
 * Incoming DSP negotiation messages. Each handler authenticates the caller against the negotiation,
 * validates the message, applies the table's transition and stores what the processor needs, in one
 * transaction, and answers. None calls a peer, signs or verifies a proof: processors do that afterwards.
 */
export function negotiationHandlers(deps: NegotiationDeps, steps: NegotiationSteps) {
  const { store } = deps;

  /** This side's negotiation `pid` for `caller`; another party's negotiation is as unknown as a missing one. */
  async function mine(pid: string, caller: Caller, other: { providerPid?: string; consumerPid?: string }): Promise<Negotiation> {
    const n = await store.get(pid);
    if (!n || n.counterpartyDid !== caller.did) throw new NegotiationProblem(404, [`No negotiation ${pid}`], other);
    return n;
  }

  /**
   * Applies an incoming `message` to negotiation `pid`: a repeat of a message already applied (same content)
   * changes nothing; a message the table does not allow in the current state is a 400 naming both pids.
   * `extra` writes what belongs with the change (an agreement) in the same transaction.
   */
  async function receive(
    pid: string,
    caller: Caller,
    message: NegotiationMessage,
    body: object,
    change: (n: Negotiation) => Omit<NegotiationChange, 'state'>,
    extra?: (trx: Transaction<Database>, n: Negotiation) => Promise<unknown>,
  ): Promise<{ n: Negotiation; repeated: boolean }> {
    const digest = credentialDigest(body);
    for (let attempt = 0; ; attempt++) {
      const n = await mine(pid, caller, body as { providerPid?: string; consumerPid?: string });
      const step = negotiationMachine.next(message, peerRole(n), n.state, await deps.received.seen(n.id, digest));
      if (!step.ok) throw new NegotiationProblem(400, [step.reason], n);
      if (step.repeated) return { n, repeated: true };
      const moved = await steps.commit(n.id, async (trx) => {
        if (!(await store.move(trx, n.id, n.state, { ...change(n), state: step.to, lastMessage: message }))) return false;
        await deps.received.record(trx, n.id, digest, message);
        await extra?.(trx, n);
        return true;
      });
      if (moved) return { n: (await store.get(n.id))!, repeated: false };
      // Another writer moved it between our read and our write: judge the message again on the new state.
      if (attempt >= 2) throw new NegotiationProblem(409, ['the negotiation changed while this message was applied; send it again'], n);
    }
  }

  // ---- provider -------------------------------------------------------------------------------------------

  async function onContractRequest(msg: Incoming<'ContractRequestMessage'>, caller: Caller): Promise<Answer> {
    const callerToken = caller.accessToken ? deps.sealer.seal(caller.accessToken) : null;
    if (msg.providerPid) {
      const n = await mine(msg.providerPid, caller, msg);
      if (n.consumerPid !== msg.consumerPid) throw new NegotiationProblem(400, ['consumerPid does not match this negotiation'], n);
      await receive(msg.providerPid, caller, 'ContractRequestMessage', msg, () => ({ offer: msg.offer, pending: null, next: 'decide', callerToken }));
      return { status: 200, body: answerOf(n, 'REQUESTED') };
    }
    const existing = await store.byConsumerPid(caller.did, msg.consumerPid);
    if (existing) return { status: 201, body: answerOf(existing) };
    if (!msg.callbackAddress) throw new NegotiationProblem(400, ['an initial ContractRequestMessage needs a callbackAddress'], msg);
    if (!(await deps.peerOwns(caller.did, msg.callbackAddress))) throw new NegotiationProblem(400, [NOT_THE_CALLERS], msg);
    const id = newPid();
    const n = newNegotiation(
      {
        id,
        role: 'provider',
        consumerPid: msg.consumerPid,
        providerPid: id,
        state: 'REQUESTED',
        counterpartyDid: caller.did,
        counterpartyAddress: msg.callbackAddress,
        offer: msg.offer,
        lastMessage: 'ContractRequestMessage',
        pending: null,
        nextAction: 'decide',
      },
      deps.timeoutMs,
    );
    await steps.commit(n.id, async (trx) => {
      await store.insert(trx, { ...n, next: 'decide', ...(callerToken ? { callerToken } : {}) });
      await deps.received.record(trx, id, credentialDigest(msg), 'ContractRequestMessage');
    });
    return { status: 201, body: answerOf(n) };
  }

  /** With reviewNegotiationSteps, a dataset that requires approval waits for the operator here too; otherwise `next` runs at once. */
  async function heldOr(pid: string, next: 'agree' | 'finalize'): Promise<Omit<NegotiationChange, 'state'>> {
    const n = await store.get(pid);
    const held = deps.reviewNegotiationSteps && n?.role === 'provider' && (await deps.offers.requiresApproval(n.datasetId));
    return held ? { pending: 'approval', next: null } : { pending: null, next };
  }

  async function onAccepted(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller): Promise<Answer> {
    const change = await heldOr(pid, 'agree');
    await receive(pid, caller, 'ContractNegotiationEventMessage:ACCEPTED', msg, () => change);
    return OK;
  }

  async function onVerification(pid: string, msg: Incoming<'ContractAgreementVerificationMessage'>, caller: Caller): Promise<Answer> {
    // A counter-signed agreement credential, if the consumer signs agreements, came beforehand (PUT /agreements/:id/credential).
    const change = await heldOr(pid, 'finalize');
    await receive(pid, caller, 'ContractAgreementVerificationMessage', msg, () => change);
    return OK;
  }

  // ---- consumer -------------------------------------------------------------------------------------------

  async function onOffer(pid: string, msg: Incoming<'ContractOfferMessage'>, caller: Caller): Promise<Answer> {
    const { n } = await receive(pid, caller, 'ContractOfferMessage', msg, () => ({ offer: msg.offer, providerPid: msg.providerPid, pending: 'review', next: null }));
    return { status: 200, body: answerOf({ ...n, providerPid: msg.providerPid }, 'OFFERED') };
  }

  /** A provider-initiated negotiation: its first ContractOfferMessage, kept for the operator to accept or answer. */
  async function onInitialOffer(msg: Incoming<'ContractOfferMessage'>, caller: Caller): Promise<Answer> {
    if (msg.consumerPid) throw new NegotiationProblem(400, ['an initial offer carries no consumerPid; send a counter-offer to /negotiations/:consumerPid/offers'], msg);
    if (!msg.callbackAddress) throw new NegotiationProblem(400, ['an initial ContractOfferMessage needs a callbackAddress'], msg);
    if (!(await deps.peerOwns(caller.did, msg.callbackAddress))) throw new NegotiationProblem(400, [NOT_THE_CALLERS], msg);
    const id = newPid();
    const n = newNegotiation(
      {
        id,
        role: 'consumer',
        consumerPid: id,
        providerPid: msg.providerPid,
        state: 'OFFERED',
        counterpartyDid: caller.did,
        counterpartyAddress: msg.callbackAddress,
        offer: msg.offer,
        lastMessage: 'ContractOfferMessage',
        pending: 'review',
        nextAction: null,
      },
      deps.timeoutMs,
    );
    await steps.commit(n.id, async (trx) => {
      await store.insert(trx, n);
      await deps.received.record(trx, id, credentialDigest(msg), 'ContractOfferMessage');
    });
    return { status: 201, body: answerOf(n) };
  }

  async function onAgreement(pid: string, msg: Incoming<'ContractAgreementMessage'>, caller: Caller): Promise<Answer> {
    const n = await mine(pid, caller, msg);
    if (negotiationMachine.next('ContractAgreementMessage', 'provider', n.state).ok) {
      if (msg.agreement.assignee !== deps.did || msg.agreement.assigner !== caller.did || msg.agreement.target !== n.datasetId) {
        throw new NegotiationProblem(400, ['the agreement does not name this consumer as assignee, the provider as assigner and the negotiated dataset as target'], n);
      }
      if (!sameTerms(msg.agreement, n.offer)) throw new NegotiationProblem(400, ["the agreement's terms differ from the offer requested"], n);
    }
    const review = deps.reviewAgreements;
    const change = () => ({ providerPid: msg.providerPid, agreementId: msg.agreement['@id'], pending: review ? 'review' : null, next: review ? null : 'verify' });
    await receive(pid, caller, 'ContractAgreementMessage', msg, change, async (trx) => {
      await store.insertAgreement(trx, {
        id: msg.agreement['@id'],
        negotiationId: n.id,
        role: 'consumer',
        providerDid: caller.did,
        consumerDid: deps.did,
        datasetId: n.datasetId,
        agreement: msg.agreement,
        credential: null,
        counterSigned: false,
        consumerCredentials: [],
      });
    });
    return OK;
  }

  async function onFinalized(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller): Promise<Answer> {
    await receive(
      pid,
      caller,
      'ContractNegotiationEventMessage:FINALIZED',
      msg,
      () => ({ next: null }),
      async (trx, n) => steps.recordAgreement(trx, n, !!(await store.agreement(n.agreementId!, trx))?.counterSigned),
    );
    return OK;
  }

  // ---- both -----------------------------------------------------------------------------------------------

  async function onEvent(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller): Promise<Answer> {
    const n = await mine(pid, caller, msg);
    if (msg.eventType === 'ACCEPTED' && n.role === 'provider') return onAccepted(pid, msg, caller);
    if (msg.eventType === 'FINALIZED' && n.role === 'consumer') return onFinalized(pid, msg, caller);
    throw new NegotiationProblem(400, [`a ${n.role} does not receive ${msg.eventType} events`], n);
  }

  async function onTermination(pid: string, msg: Incoming<'ContractNegotiationTerminationMessage'>, caller: Caller): Promise<Answer> {
    const reasons = (msg.reason ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
    const why = [`terminated by ${caller.did}${msg.code ? ` (${msg.code})` : ''}`, ...reasons];
    await receive(
      pid,
      caller,
      'ContractNegotiationTerminationMessage',
      msg,
      () => ({ reasons: why, pending: null, next: null, callerToken: null }),
      (trx, n) =>
        deps.audit.record(trx, { type: 'negotiation.terminated', actor: peerActor(caller.did), subjects: { negotiationId: n.id }, details: { by: 'peer', reasons: why } }),
    );
    return OK;
  }

  async function get(pid: string, caller: Caller): Promise<Answer> {
    return { status: 200, body: answerOf(await mine(pid, caller, {})) };
  }

  return { onContractRequest, onInitialOffer, onOffer, onAgreement, onEvent, onTermination, onVerification, get };
}
