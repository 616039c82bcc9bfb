import type { Transaction } from 'kysely';
import type { ConnectorContext } from '../context.ts';
import type { Database } from '../storage/schema.ts';
import { EventEmitter } from 'node:events';
import { negotiationStore, type Negotiation, type NegotiationStore } from '../storage/negotiation-store.ts';
import { transition, isFinal, type NegotiationMessage, type NegotiationState } from '../../contracts/negotiation/state-machine.ts';
import {
  AGREEMENT_CREDENTIAL, agreementVerificationMessage, contractAgreementMessage, contractNegotiation, contractOfferMessage, contractRequestMessage,
  negotiationEventMessage, terminationMessage, type Agreement, type Incoming, type MessageOffer,
} from '../../contracts/negotiation/messages.ts';
import { counterSignAgreement, issueAgreementCredential, verifyAgreementCredential } from '../../contracts/credentials/agreement.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { credentialDigest } from '../../contracts/credentials/verifier.ts';
import { fetchCallerCredentials } from '../trust/presentation-client.ts';
import { scopeForType } from '../trust/scopes.ts';
import type { Caller } from '../trust/trust-services.ts';
import type { OfferCatalog, PolicyEngine } from './ports.ts';
import { DspProblem } from '../http/dsp-problem.ts';

/** A refusal of an incoming message: the DSP status and the reasons, naming both pids where known. */
export class NegotiationProblem extends DspProblem {
  override name = 'NegotiationProblem';
}

export interface NegotiationServiceOptions {
  offers: OfferCatalog;
  policy: PolicyEngine;
  /** How long a negotiation may take before it is terminated as timed out (default 10 min). */
  timeoutMs?: number;
  /** Delay before a follow-up message, so our answer has reached the peer first (default 100 ms). */
  followUpDelayMs?: number;
}

export const NEGOTIATION_KIND = 'negotiation';
const newPid = () => `urn:uuid:${crypto.randomUUID()}`;
const base = (address: string) => address.replace(/\/+$/, '');

/** DSP contract negotiation in both roles: incoming messages, local actions, the provider's decision, agreements. */
export function createNegotiationService(ctx: ConnectorContext, options: NegotiationServiceOptions) {
  const store = withChangeNotices(negotiationStore(ctx.database.db));
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const pids = (n: Negotiation) => ({ providerPid: n.providerPid ?? '', consumerPid: n.consumerPid ?? '' });
  const answer = (n: Negotiation, state: NegotiationState = n.state) => contractNegotiation({ ...pids(n), state });

  /** Enqueues a message to the counterparty, in the transaction of the state change it announces. */
  async function send(trx: Transaction<Database>, n: Negotiation, path: string, messageType: string, body: unknown, scopes?: string[], followUp = true) {
    await ctx.outbox.enqueue(trx, {
      kind: NEGOTIATION_KIND,
      processId: n.id,
      messageType,
      url: `${base(n.counterpartyAddress)}${path}`,
      audienceDid: n.counterpartyDid,
      body,
      ...(scopes ? { scopes } : {}),
      notBefore: new Date(Date.now() + (followUp ? (options.followUpDelayMs ?? 100) : 0)),
      deadline: new Date(n.deadlineAt),
    });
  }

  const toConsumer = (n: Negotiation, what: string) => `/negotiations/${encodeURIComponent(n.consumerPid!)}/${what}`;
  const toProvider = (n: Negotiation, what: string) => `/negotiations/${encodeURIComponent(n.providerPid!)}/${what}`;

  /** Finds this side's negotiation `pid` for `caller`; another party's negotiation is as unknown as a missing one. */
  async function mine(pid: string, caller: Caller, other: { providerPid?: string; consumerPid?: string }): Promise<Negotiation> {
    const n = await store.get(pid);
    if (!n || n.counterpartyDid !== caller.did) throw new NegotiationProblem(404, [`No negotiation ${pid}`], other);
    return n;
  }

  function check(n: Negotiation, message: NegotiationMessage, sender: 'provider' | 'consumer') {
    const result = transition(message, sender, n.state, n.lastMessage ?? undefined);
    if (!result.ok) throw new NegotiationProblem(400, [result.reason], n);
    return result;
  }

  async function terminateInTx(trx: Transaction<Database>, n: Negotiation, reasons: string[], notify: boolean): Promise<boolean> {
    if (!(await store.move(trx, n.id, n.state, { state: 'TERMINATED', lastMessage: 'ContractNegotiationTerminationMessage', reasons, pending: null }))) return false;
    const peerPid = n.role === 'provider' ? n.consumerPid : n.providerPid;
    if (notify && peerPid) {
      await send(trx, n, n.role === 'provider' ? toConsumer(n, 'termination') : toProvider(n, 'termination'), 'ContractNegotiationTerminationMessage', terminationMessage({ ...pids(n), code: 'terminated', reason: reasons }));
    }
    return true;
  }

  // ---- provider -------------------------------------------------------------------------------------------

  /** Agrees: builds the ODRL agreement from the published offer, signs it as a credential, sends both. */
  async function agreeInTx(trx: Transaction<Database>, n: Negotiation, from: NegotiationState, presented?: VerifiableCredential[]): Promise<void> {
    const { '@type': _type, '@id': _id, assigner: _assigner, ...rules } = n.offer;
    const agreement: Agreement = { ...rules, '@type': 'Agreement', '@id': newPid(), target: n.datasetId, assigner: ctx.did, assignee: n.counterpartyDid, timestamp: new Date().toISOString() } as Agreement;
    const credential = await issueAgreementCredential(agreement as never, ctx.trust.signer, ctx.documentLoader);
    if (!(await store.move(trx, n.id, from, { state: 'AGREED', lastMessage: 'ContractAgreementMessage', agreementId: agreement['@id'], pending: null }))) return;
    await store.insertAgreement(trx, { id: agreement['@id'], negotiationId: n.id, role: 'provider', providerDid: ctx.did, consumerDid: n.counterpartyDid, datasetId: n.datasetId, agreement, credential, counterSigned: false, consumerCredentials: presented ?? [] });
    await send(trx, n, toConsumer(n, 'agreement'), 'ContractAgreementMessage', contractAgreementMessage({ ...pids(n), agreement, credential }));
  }

  /**
   * The provider's decision on a request it has recorded: the published offer must be the one requested;
   * the caller's credentials are fetched from its credential service and verified; the policy decides.
   * Returns the reasons for a refusal, or [] to agree.
   */
  async function decide(n: Negotiation, caller: Caller): Promise<{ reasons: string[]; presented?: VerifiableCredential[] }> {
    const refuse = (reason: string) => ({ reasons: [reason] });
    const published = await options.offers.findOffer(n.offer['@id']);
    if (!published) return refuse(`offer ${n.offer['@id']} is not offered here`);
    if (published.datasetId !== n.offer.target) return refuse(`offer ${n.offer['@id']} is not an offer for ${n.offer.target}`);
    if (!sameJson(rulesOf(n.offer), rulesOf(published.offer))) return refuse('the requested terms differ from the published offer; counter-offers are not accepted automatically');
    const types = [...new Set([CREDENTIAL_TYPE.participant, ...options.policy.requiredCredentialTypes(published.offer)])];
    const presented = await fetchCallerCredentials(ctx, caller, types.map(scopeForType));
    if (!presented.verified) return refuse(`credentials not accepted: ${presented.code}: ${presented.message}`);
    const decision = options.policy.evaluate(published.offer, {
      credentials: presented.credentials, consumerDid: caller.did, providerDid: ctx.did, datasetId: published.datasetId,
      healthCategories: published.healthCategories, now: new Date(), transferCount: 0,
    });
    if (!decision.permitted) return { reasons: decision.reasons.length ? decision.reasons : ['the policy does not permit this request'] };
    return { reasons: [], presented: presented.presented };
  }

  async function onContractRequest(msg: Incoming<'ContractRequestMessage'>, caller: Caller) {
    let n: Negotiation;
    if (msg.providerPid) {
      n = await mine(msg.providerPid, caller, msg);
      if (n.consumerPid !== msg.consumerPid) throw new NegotiationProblem(400, ['consumerPid does not match this negotiation'], n);
      const t = check(n, 'ContractRequestMessage', 'consumer');
      if (t.repeated) return { status: 200 as const, body: answer(n) };
      await store.transaction((trx) => store.move(trx, n.id, n.state, { state: 'REQUESTED', lastMessage: 'ContractRequestMessage', offer: msg.offer }));
      n = (await store.get(n.id))!;
    } else {
      const existing = await store.byConsumerPid(caller.did, msg.consumerPid);
      if (existing) return { status: 201 as const, body: answer(existing) };
      if (!msg.callbackAddress) throw new NegotiationProblem(400, ['an initial ContractRequestMessage needs a callbackAddress'], msg);
      n = {
        id: newPid(), role: 'provider', consumerPid: msg.consumerPid, providerPid: '', state: 'REQUESTED', counterpartyDid: caller.did, counterpartyAddress: msg.callbackAddress,
        datasetId: msg.offer.target, offer: msg.offer, agreementId: null, lastMessage: 'ContractRequestMessage', pending: null, reasons: [], presented: [], createdAt: '', updatedAt: '',
        deadlineAt: new Date(Date.now() + timeoutMs).toISOString(),
      };
      n.providerPid = n.id;
      await store.transaction((trx) => store.insert(trx, n));
    }
    await decideAndAct(n, caller);
    return { status: (msg.providerPid ? 200 : 201) as 200 | 201, body: answer(n, 'REQUESTED') };
  }

  /**
   * Runs the decision for a recorded request, then refuses with the reasons, agrees, or, for a dataset that
   * requires approval, leaves a permitted request to an operator.
   */
  async function decideAndAct(n: Negotiation, caller: Caller): Promise<void> {
    const { reasons, presented } = await decide(n, caller);
    const needsApproval = reasons.length === 0 && (await options.offers.findOffer(n.offer['@id']))?.requiresApproval;
    await store.transaction(async (trx) => {
      if (reasons.length > 0) await terminateInTx(trx, n, reasons, true);
      else if (needsApproval) await store.move(trx, n.id, 'REQUESTED', { state: 'REQUESTED', pending: 'approval', ...(presented ? { presented } : {}) });
      else await agreeInTx(trx, n, 'REQUESTED', presented);
    });
    ctx.logger.info('negotiation decided', { negotiation: n.id, consumer: n.counterpartyDid, outcome: reasons.length > 0 ? 'refused' : needsApproval ? 'awaits approval' : 'agreed', reasons });
  }

  async function onAccepted(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractNegotiationEventMessage:ACCEPTED', 'consumer');
    if (!t.repeated) {
      await store.transaction(async (trx) => {
        if (await store.move(trx, n.id, 'OFFERED', { state: 'ACCEPTED', lastMessage: 'ContractNegotiationEventMessage:ACCEPTED' })) await agreeInTx(trx, { ...n, state: 'ACCEPTED' }, 'ACCEPTED');
      });
    }
    return { status: 200 as const, body: null };
  }

  async function onVerification(pid: string, msg: Incoming<'ContractAgreementVerificationMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractAgreementVerificationMessage', 'consumer');
    if (t.repeated) return { status: 200 as const, body: null };
    const stored = await store.agreement(n.agreementId!);
    const signed = (msg as Record<string, unknown>)[AGREEMENT_CREDENTIAL] as VerifiableCredential | undefined;
    if (!signed) throw new NegotiationProblem(400, ['the verification carries no counter-signed agreement credential'], n);
    const verified = await verifyAgreementCredential(signed, ctx.documentLoader);
    if (!verified.verified) throw new NegotiationProblem(400, [`the counter-signed agreement does not verify: ${verified.reason}`], n);
    if (verified.agreementId !== stored?.id || verified.consumer !== caller.did || verified.provider !== ctx.did) throw new NegotiationProblem(400, ['the counter-signed agreement is not this negotiation\'s agreement'], n);
    await store.transaction(async (trx) => {
      if (!(await store.move(trx, n.id, 'AGREED', { state: 'VERIFIED', lastMessage: 'ContractAgreementVerificationMessage' }))) return;
      await store.counterSigned(trx, stored.id, signed);
      await store.move(trx, n.id, 'VERIFIED', { state: 'FINALIZED', lastMessage: 'ContractNegotiationEventMessage:FINALIZED' });
      await send(trx, n, toConsumer(n, 'events'), 'ContractNegotiationEventMessage', negotiationEventMessage({ ...pids(n), eventType: 'FINALIZED' }));
    });
    return { status: 200 as const, body: null };
  }

  // ---- consumer -------------------------------------------------------------------------------------------

  /** Starts a negotiation for `offer` with the provider at `providerAddress` (its DSP base URL). */
  async function start(input: { providerDid: string; providerAddress: string; offer: MessageOffer }): Promise<Negotiation> {
    const id = newPid();
    const n: Negotiation = {
      id, role: 'consumer', consumerPid: id, providerPid: null, state: 'REQUESTED', counterpartyDid: input.providerDid, counterpartyAddress: base(input.providerAddress),
      datasetId: input.offer.target, offer: input.offer, agreementId: null, lastMessage: 'ContractRequestMessage', pending: null, reasons: [], presented: [], createdAt: '', updatedAt: '',
      deadlineAt: new Date(Date.now() + timeoutMs).toISOString(),
    };
    const scopes = [...new Set([CREDENTIAL_TYPE.participant, ...options.policy.requiredCredentialTypes(input.offer)])].map(scopeForType);
    await store.transaction(async (trx) => {
      await store.insert(trx, n);
      await send(trx, n, '/negotiations/request', 'ContractRequestMessage', contractRequestMessage({ consumerPid: id, offer: input.offer, callbackAddress: `${ctx.config.publicUrl}/dsp/2025-1` }), scopes, false);
    });
    return (await store.get(id))!;
  }

  async function onOffer(pid: string, msg: Incoming<'ContractOfferMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractOfferMessage', 'provider');
    if (!t.repeated) {
      await store.transaction((trx) => store.move(trx, n.id, n.state, { state: 'OFFERED', lastMessage: 'ContractOfferMessage', offer: msg.offer, providerPid: msg.providerPid, pending: 'review' }));
    }
    return { status: 200 as const, body: answer({ ...n, providerPid: msg.providerPid }, 'OFFERED') };
  }

  /** A provider-initiated negotiation: its first ContractOfferMessage, kept for the operator to accept or answer. */
  async function onInitialOffer(msg: Incoming<'ContractOfferMessage'>, caller: Caller) {
    if (msg.consumerPid) throw new NegotiationProblem(400, ['an initial offer carries no consumerPid; send a counter-offer to /negotiations/:consumerPid/offers'], msg);
    if (!msg.callbackAddress) throw new NegotiationProblem(400, ['an initial ContractOfferMessage needs a callbackAddress'], msg);
    const id = newPid();
    const n: Negotiation = {
      id, role: 'consumer', consumerPid: id, providerPid: msg.providerPid, state: 'OFFERED', counterpartyDid: caller.did, counterpartyAddress: base(msg.callbackAddress),
      datasetId: msg.offer.target, offer: msg.offer, agreementId: null, lastMessage: 'ContractOfferMessage', pending: 'review', reasons: [], presented: [], createdAt: '', updatedAt: '',
      deadlineAt: new Date(Date.now() + timeoutMs).toISOString(),
    };
    await store.transaction((trx) => store.insert(trx, n));
    return { status: 201 as const, body: answer(n) };
  }

  /** Consumer: accepts the provider's (counter-)offer as it stands. */
  async function accept(id: string): Promise<Negotiation | undefined> {
    const n = await store.get(id);
    if (!n) return undefined;
    if (n.role !== 'consumer' || n.state !== 'OFFERED') throw new NegotiationProblem(409, ['only an OFFERED negotiation of this consumer can be accepted'], n);
    await store.transaction(async (trx) => {
      if (await store.move(trx, n.id, 'OFFERED', { state: 'ACCEPTED', lastMessage: 'ContractNegotiationEventMessage:ACCEPTED', pending: null })) {
        await send(trx, n, toProvider(n, 'events'), 'ContractNegotiationEventMessage', negotiationEventMessage({ ...pids(n), eventType: 'ACCEPTED' }));
      }
    });
    return store.get(id);
  }

  /** Provider: answers a request with other terms (a counter-offer); consumer: answers an offer with a counter-request. */
  async function counter(id: string, offer: MessageOffer): Promise<Negotiation | undefined> {
    const n = await store.get(id);
    if (!n) return undefined;
    if (offer.target !== n.datasetId) throw new NegotiationProblem(409, [`the counter-offer must target ${n.datasetId}`], n);
    if (n.role === 'provider') {
      if (n.state !== 'REQUESTED') throw new NegotiationProblem(409, ['a provider counter-offers only a REQUESTED negotiation'], n);
      await store.transaction(async (trx) => {
        if (await store.move(trx, n.id, 'REQUESTED', { state: 'OFFERED', lastMessage: 'ContractOfferMessage', offer, pending: null })) {
          await send(trx, n, toConsumer(n, 'offers'), 'ContractOfferMessage', contractOfferMessage({ providerPid: n.providerPid!, consumerPid: n.consumerPid!, offer }));
        }
      });
    } else {
      if (n.state !== 'OFFERED') throw new NegotiationProblem(409, ['a consumer counters only an OFFERED negotiation'], n);
      const scopes = [...new Set([CREDENTIAL_TYPE.participant, ...options.policy.requiredCredentialTypes(offer)])].map(scopeForType);
      await store.transaction(async (trx) => {
        if (await store.move(trx, n.id, 'OFFERED', { state: 'REQUESTED', lastMessage: 'ContractRequestMessage', offer, pending: null })) {
          await send(trx, n, toProvider(n, 'request'), 'ContractRequestMessage', contractRequestMessage({ consumerPid: n.consumerPid!, providerPid: n.providerPid!, offer }), scopes);
        }
      });
    }
    return store.get(id);
  }

  async function onAgreement(pid: string, msg: Incoming<'ContractAgreementMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractAgreementMessage', 'provider');
    if (t.repeated || n.state === 'VERIFIED') return { status: 200 as const, body: null };
    const credential = (msg as Record<string, unknown>)[AGREEMENT_CREDENTIAL] as VerifiableCredential | undefined;
    if (!credential) throw new NegotiationProblem(400, ['the agreement carries no agreement credential signed by the provider'], msg);
    if (msg.agreement.assignee !== ctx.did || msg.agreement.assigner !== caller.did || msg.agreement.target !== n.datasetId) {
      throw new NegotiationProblem(400, ['the agreement does not name this consumer as assignee, the provider as assigner and the negotiated dataset as target'], msg);
    }
    if (!sameJson(rulesOf(msg.agreement), rulesOf(n.offer))) throw new NegotiationProblem(400, ['the agreement\'s terms differ from the offer requested'], msg);
    let signed: VerifiableCredential;
    try {
      signed = await counterSignAgreement(credential, ctx.trust.signer, ctx.documentLoader, { agreementId: msg.agreement['@id'], provider: caller.did });
    } catch (error) {
      throw new NegotiationProblem(400, [(error as Error).message], msg);
    }
    const inCredential = (signed.credentialSubject as { agreement?: unknown }).agreement;
    if (!sameJson(inCredential, msg.agreement)) throw new NegotiationProblem(400, ['the agreement credential does not carry the agreement sent'], msg);
    const withPid = { ...n, providerPid: msg.providerPid };
    await store.transaction(async (trx) => {
      if (!(await store.move(trx, n.id, n.state, { state: 'AGREED', lastMessage: 'ContractAgreementMessage', providerPid: msg.providerPid, agreementId: msg.agreement['@id'], pending: null }))) return;
      await store.insertAgreement(trx, { id: msg.agreement['@id'], negotiationId: n.id, role: 'consumer', providerDid: caller.did, consumerDid: ctx.did, datasetId: n.datasetId, agreement: msg.agreement, credential: signed, counterSigned: true, consumerCredentials: [] });
      await store.move(trx, n.id, 'AGREED', { state: 'VERIFIED', lastMessage: 'ContractAgreementVerificationMessage' });
      await send(trx, withPid, toProvider(withPid, 'agreement/verification'), 'ContractAgreementVerificationMessage', agreementVerificationMessage({ ...pids(withPid), credential: signed }));
    });
    return { status: 200 as const, body: null };
  }

  async function onFinalized(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractNegotiationEventMessage:FINALIZED', 'provider');
    if (!t.repeated) await store.transaction((trx) => store.move(trx, n.id, 'VERIFIED', { state: 'FINALIZED', lastMessage: 'ContractNegotiationEventMessage:FINALIZED' }));
    return { status: 200 as const, body: null };
  }

  // ---- both -----------------------------------------------------------------------------------------------

  async function onEvent(pid: string, msg: Incoming<'ContractNegotiationEventMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    if (msg.eventType === 'ACCEPTED' && n.role === 'provider') return onAccepted(pid, msg, caller);
    if (msg.eventType === 'FINALIZED' && n.role === 'consumer') return onFinalized(pid, msg, caller);
    throw new NegotiationProblem(400, [`a ${n.role} does not receive ${msg.eventType} events`], n);
  }

  async function onTermination(pid: string, msg: Incoming<'ContractNegotiationTerminationMessage'>, caller: Caller) {
    const n = await mine(pid, caller, msg);
    const t = check(n, 'ContractNegotiationTerminationMessage', n.role === 'provider' ? 'consumer' : 'provider');
    const reasons = (msg.reason ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
    if (!t.repeated) await store.transaction((trx) => terminateInTx(trx, n, [`terminated by ${caller.did}${msg.code ? ` (${msg.code})` : ''}`, ...reasons], false));
    return { status: 200 as const, body: null };
  }

  async function get(pid: string, caller: Caller) {
    const n = await mine(pid, caller, {});
    return { status: 200 as const, body: answer(n) };
  }

  /** Local termination (operator or timeout): the peer is told, if it knows this negotiation. */
  async function terminate(id: string, reason: string): Promise<Negotiation | undefined> {
    const n = await store.get(id);
    if (!n) return undefined;
    if (isFinal(n.state)) throw new NegotiationProblem(409, [`the negotiation is already ${n.state}`], n);
    await store.transaction((trx) => terminateInTx(trx, n, [reason], true));
    return store.get(id);
  }

  /** An operator's decision on a request the policy permitted and that awaits approval. */
  async function approve(id: string, approved: boolean, reason = 'rejected by the provider'): Promise<Negotiation | undefined> {
    const n = await store.get(id);
    if (!n) return undefined;
    if (n.role !== 'provider' || n.state !== 'REQUESTED' || n.pending !== 'approval') throw new NegotiationProblem(409, ['the negotiation does not await approval'], n);
    if (!approved) {
      await store.transaction((trx) => terminateInTx(trx, n, [reason], true));
      return store.get(id);
    }
    await store.transaction((trx) => agreeInTx(trx, n, 'REQUESTED', n.presented));
    return store.get(id);
  }

  /** Terminates negotiations that ran out of time. */
  async function expireOverdue(): Promise<number> {
    let count = 0;
    for (const n of await store.overdue(new Date().toISOString())) {
      if (await store.transaction((trx) => terminateInTx(trx, n, [`timed out in state ${n.state}`], true))) count++;
    }
    return count;
  }

  ctx.outbox.handle(NEGOTIATION_KIND, {
    async delivered(message, response) {
      const providerPid = (response.body as { providerPid?: unknown } | undefined)?.providerPid;
      if (message.messageType === 'ContractRequestMessage' && typeof providerPid === 'string' && providerPid) await store.setProviderPid(message.processId, providerPid);
    },
    async gaveUp(message, reason) {
      const n = await store.get(message.processId);
      if (n && !isFinal(n.state)) await store.transaction((trx) => terminateInTx(trx, n, [`could not deliver ${message.messageType}: ${reason}`], false));
    },
  });

  return { store, start, onContractRequest, onInitialOffer, onOffer, onAgreement, onEvent, onTermination, onVerification, get, terminate, approve, accept, counter, expireOverdue };
}

/**
 * The store, with a notice to waiters after every committed transaction, so a management client can wait for
 * a state instead of polling. A change made by another process sharing the database is seen at the next check.
 */
function withChangeNotices(store: NegotiationStore) {
  const changed = new EventEmitter();
  changed.setMaxListeners(0);
  return {
    ...store,
    async transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      const result = await store.transaction(work);
      changed.emit('change');
      return result;
    },
    async setProviderPid(id: string, providerPid: string) {
      await store.setProviderPid(id, providerPid);
      changed.emit('change');
    },
    /** Resolves with the negotiation once `done` holds, or as it is after `timeoutMs`. */
    async waitFor(id: string, done: (n: Negotiation) => boolean, timeoutMs: number): Promise<Negotiation | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const n = await store.get(id);
        if (!n || done(n) || Date.now() >= deadline) return n;
        await new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            changed.off('change', finish);
            resolve();
          };
          const timer = setTimeout(finish, Math.min(1000, deadline - Date.now()));
          changed.on('change', finish);
        });
      }
    },
  };
}

/** Equal as JSON documents, whatever the order of their keys. */
const sameJson = (a: unknown, b: unknown) => credentialDigest(a) === credentialDigest(b);

function rulesOf(policy: { permission?: unknown; prohibition?: unknown; obligation?: unknown }) {
  return { permission: policy.permission ?? null, prohibition: policy.prohibition ?? null, obligation: policy.obligation ?? null };
}

export type NegotiationService = ReturnType<typeof createNegotiationService>;
