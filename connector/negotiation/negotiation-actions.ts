import type { Negotiation } from '../../contracts/negotiation/negotiation.ts';
import { isFinal } from '../../contracts/negotiation/state-machine.ts';
import { contractOfferMessage, contractRequestMessage, negotiationEventMessage, type MessageOffer } from '../../contracts/negotiation/messages.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { scopeForType } from '../trust/scopes.ts';
import { newNegotiation, NegotiationProblem, newPid, pidsOf, toConsumer, toProvider, type NegotiationDeps, type NegotiationSteps } from './negotiation-steps.ts';

/** Where a provider's negotiation waits for approval, and the processor step approving it schedules. */
const HELD_STEPS: Partial<Record<Negotiation['state'], 'agree' | 'finalize'>> = { REQUESTED: 'agree', ACCEPTED: 'agree', VERIFIED: 'finalize' };

/**
 * What this side starts: a consumer's request, an operator's accept, counter, approval, rejection or
 * termination, and the timer that ends negotiations past their deadline. Each is a row of the transition
 * table applied in one transaction with the message it sends; the slow parts (signing) are the processor's.
 */
export function negotiationActions(deps: NegotiationDeps, steps: NegotiationSteps) {
  const { store } = deps;
  const scopesFor = (offer: MessageOffer) => [...new Set([CREDENTIAL_TYPE.participant, ...deps.policy.requiredCredentialTypes(offer)])].map(scopeForType);

  /** Starts a negotiation for `offer` with the provider at `providerAddress` (its DSP base URL). */
  async function start(input: { providerDid: string; providerAddress: string; offer: MessageOffer }): Promise<Negotiation> {
    const id = newPid();
    const n = newNegotiation(
      {
        id,
        role: 'consumer',
        consumerPid: id,
        providerPid: null,
        state: 'REQUESTED',
        counterpartyDid: input.providerDid,
        counterpartyAddress: input.providerAddress,
        offer: input.offer,
        lastMessage: 'ContractRequestMessage',
        pending: null,
        nextAction: null,
      },
      deps.timeoutMs,
    );
    await steps.commit(n.id, async (trx) => {
      await store.insert(trx, n);
      const body = contractRequestMessage({ consumerPid: id, offer: input.offer, callbackAddress: deps.dspUrl });
      await steps.enqueue(trx, n, { path: '/negotiations/request', messageType: 'ContractRequestMessage', body, scopes: scopesFor(input.offer), followUp: false });
    });
    return (await store.get(id))!;
  }

  async function existing(id: string): Promise<Negotiation | undefined> {
    return store.get(id);
  }

  /** Consumer: accepts the provider's (counter-)offer as it stands. */
  async function accept(id: string): Promise<Negotiation | undefined> {
    const n = await existing(id);
    if (!n) return undefined;
    if (n.role !== 'consumer' || n.state !== 'OFFERED') throw new NegotiationProblem(409, ['only an OFFERED negotiation of this consumer can be accepted'], n);
    const out = { path: toProvider(n, 'events'), messageType: 'ContractNegotiationEventMessage', body: negotiationEventMessage({ ...pidsOf(n), eventType: 'ACCEPTED' }) };
    await steps.commit(n.id, (trx) => steps.advance(trx, n, 'ContractNegotiationEventMessage:ACCEPTED', 'consumer', { pending: null }, out));
    return store.get(id);
  }

  /** Provider: answers a request with other terms (a counter-offer); consumer: answers an offer with a counter-request. */
  async function counter(id: string, offer: MessageOffer): Promise<Negotiation | undefined> {
    const n = await existing(id);
    if (!n) return undefined;
    if (offer.target !== n.datasetId) throw new NegotiationProblem(409, [`the counter-offer must target ${n.datasetId}`], n);
    if (n.role === 'provider') {
      if (n.state !== 'REQUESTED') throw new NegotiationProblem(409, ['a provider counter-offers only a REQUESTED negotiation'], n);
      const out = {
        path: toConsumer(n, 'offers'),
        messageType: 'ContractOfferMessage',
        body: contractOfferMessage({ providerPid: n.providerPid!, consumerPid: n.consumerPid!, offer }),
      };
      await steps.commit(n.id, (trx) => steps.advance(trx, n, 'ContractOfferMessage', 'provider', { offer, pending: null, next: null, callerToken: null }, out));
    } else {
      if (n.state !== 'OFFERED') throw new NegotiationProblem(409, ['a consumer counters only an OFFERED negotiation'], n);
      const body = contractRequestMessage({ consumerPid: n.consumerPid!, providerPid: n.providerPid!, offer });
      await steps.commit(n.id, (trx) =>
        steps.advance(
          trx,
          n,
          'ContractRequestMessage',
          'consumer',
          { offer, pending: null },
          { path: toProvider(n, 'request'), messageType: 'ContractRequestMessage', body, scopes: scopesFor(offer) },
        ),
      );
    }
    return store.get(id);
  }

  /** Consumer: an operator verifies an agreement held for review (reviewAgreements); the processor signs and sends. */
  async function verifyAgreement(id: string): Promise<Negotiation | undefined> {
    const n = await existing(id);
    if (!n) return undefined;
    if (n.role !== 'consumer' || n.state !== 'AGREED' || n.pending !== 'review')
      throw new NegotiationProblem(409, ['only an AGREED negotiation held for review can be verified'], n);
    await steps.commit(n.id, (trx) => store.move(trx, n.id, 'AGREED', { state: 'AGREED', pending: null, next: 'verify' }));
    return store.waitFor(id, (current) => current.state !== 'AGREED', 10_000);
  }

  /** Local termination (operator or timeout): the peer is told, if it knows this negotiation. */
  async function terminate(id: string, reason: string): Promise<Negotiation | undefined> {
    const n = await existing(id);
    if (!n) return undefined;
    if (isFinal(n.state)) throw new NegotiationProblem(409, [`the negotiation is already ${n.state}`], n);
    await steps.commit(n.id, (trx) => steps.terminate(trx, n, [reason], true));
    return store.get(id);
  }

  /**
   * An operator's decision on a negotiation held for approval: a request the policy permitted (REQUESTED), and
   * with reviewNegotiationSteps an accepted counter-offer (ACCEPTED: agree) or a verified agreement (VERIFIED:
   * finalize). Approving schedules the processor's step (it signs); rejecting terminates.
   */
  async function approve(id: string, approved: boolean, reason = 'rejected by the provider'): Promise<Negotiation | undefined> {
    const n = await existing(id);
    if (!n) return undefined;
    const next = HELD_STEPS[n.state];
    if (n.role !== 'provider' || !next || n.pending !== 'approval') throw new NegotiationProblem(409, ['the negotiation does not await approval'], n);
    const subjects = { negotiationId: n.id };
    const details = { datasetId: n.datasetId, counterpartyDid: n.counterpartyDid, ...(n.state === 'REQUESTED' ? {} : { step: next }) };
    if (!approved) {
      await steps.commit(n.id, async (trx) => {
        await deps.audit.record(trx, { type: 'negotiation.rejected', actor: 'operator', subjects, details: { ...details, reason } });
        await steps.terminate(trx, n, [reason], true);
      });
      return store.get(id);
    }
    await steps.commit(n.id, async (trx) => {
      if (await store.move(trx, n.id, n.state, { state: n.state, pending: 'approved', next })) {
        await deps.audit.record(trx, { type: 'negotiation.approved', actor: 'operator', subjects, details });
      }
    });
    return store.waitFor(id, (current) => current.state !== n.state, 10_000);
  }

  /** Terminates negotiations that ran out of time. */
  async function expireOverdue(): Promise<number> {
    let count = 0;
    for (const n of await store.overdue(new Date().toISOString())) {
      if (await steps.commit(n.id, (trx) => steps.terminate(trx, n, [`timed out in state ${n.state}`], true, 'timeout'))) count++;
    }
    return count;
  }

  return { start, accept, counter, verifyAgreement, terminate, approve, expireOverdue };
}
