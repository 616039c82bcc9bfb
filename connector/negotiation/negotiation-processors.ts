import type { OutboxMessage } from '../storage/outbox-store.ts';
import type { Negotiation } from '../../contracts/negotiation/negotiation.ts';
import { isFinal, negotiationMachine, type NegotiationMessage, type NegotiationState } from '../../contracts/negotiation/state-machine.ts';
import { agreementVerificationMessage, contractAgreementMessage, negotiationEventMessage, type Agreement } from '../../contracts/negotiation/messages.ts';
import { counterSignAgreement, issueAgreementCredential, verifyAgreementCredential } from '../../contracts/credentials/agreement.ts';
import { CREDENTIAL_TYPE, type VerifiableCredential } from '../../contracts/credentials/model.ts';
import { scopeForType } from '../trust/scopes.ts';
import type { ProcessAction } from '../processing/processor.ts';
import { peerIsPast } from '../processing/peer-state.ts';
import { sameTerms } from '../../contracts/policy/canonical.ts';
import { newPid, pidsOf, sameJson, toConsumer, toProvider, type NegotiationDeps, type NegotiationSteps } from './negotiation-steps.ts';

/** Refusal codes that say "not now" rather than "no". */
const TRANSIENT = new Set(['status_unavailable', 'unresolvable_key']);
const MAX_TRANSIENT_RETRIES = 5;

/**
 * The actions a negotiation is owed after a state change, one per state that needs one, run by the
 * processor outside any request: the provider decides a request (credential presentation, policy), agrees
 * (signs the agreement), and finalizes (checks the counter-signature); the consumer verifies (checks and
 * counter-signs the agreement). Each re-reads the negotiation, does its slow part, then advances it in one
 * transaction; a crash anywhere leaves the action scheduled, so it runs again after restart.
 */
export function negotiationProcessors(deps: NegotiationDeps, steps: NegotiationSteps) {
  const { store } = deps;

  /** The negotiation, if it is still in `state` and still owed `action` (another replica may have moved it). */
  async function owed(id: string, action: string, ...states: NegotiationState[]): Promise<Negotiation | undefined> {
    const n = await store.get(id);
    return n && n.nextAction === action && states.includes(n.state) ? n : undefined;
  }

  async function refuse(n: Negotiation, reasons: string[]): Promise<void> {
    await steps.commit(n.id, async (trx) => {
      if (n.role === 'provider' && n.state === 'REQUESTED') await steps.recordDecision(trx, n, 'refused', reasons);
      await steps.terminate(trx, n, reasons, true);
    });
    deps.logger.info('negotiation refused', { negotiation: n.id, consumer: n.counterpartyDid, reasons });
  }

  /** Provider: builds the ODRL agreement from the requested offer, signs it as a credential, sends both. */
  async function agreeTo(n: Negotiation, presented: VerifiableCredential[]): Promise<void> {
    const { '@type': _type, '@id': _id, assigner: _assigner, ...rules } = n.offer;
    const agreement = {
      ...rules,
      '@type': 'Agreement',
      '@id': newPid(),
      target: n.datasetId,
      assigner: deps.did,
      assignee: n.counterpartyDid,
      timestamp: new Date().toISOString(),
    } as Agreement;
    // Signed (a ContractAgreementCredential) when this connector has a DID to sign with; a plain agreement otherwise.
    const credential = deps.did.startsWith('did:') ? await issueAgreementCredential(agreement as never, deps.signer, deps.documentLoader) : null;
    await steps.commit(n.id, async (trx) => {
      const out = { path: toConsumer(n, 'agreement'), messageType: 'ContractAgreementMessage', body: contractAgreementMessage({ ...pidsOf(n), agreement }) };
      if (!(await steps.advance(trx, n, 'ContractAgreementMessage', 'provider', { agreementId: agreement['@id'], pending: null, next: null, callerToken: null }, out))) return;
      await steps.recordDecision(trx, n, 'agreed');
      await store.insertAgreement(trx, {
        id: agreement['@id'],
        negotiationId: n.id,
        role: 'provider',
        providerDid: deps.did,
        consumerDid: n.counterpartyDid,
        datasetId: n.datasetId,
        agreement,
        credential,
        counterSigned: false,
        consumerCredentials: presented,
      });
    });
  }

  /**
   * Provider, REQUESTED: the published offer must be the one requested; the caller's credentials are fetched
   * from its credential service and verified; the policy decides. Then: refuse, agree, or leave a permitted
   * request to an operator when the dataset requires approval.
   */
  const decide: ProcessAction = async (id, work) => {
    const n = await owed(id, 'decide', 'REQUESTED');
    if (!n) return;
    const published = await deps.offers.findOffer(n.offer['@id']);
    if (!published) return refuse(n, [`offer ${n.offer['@id']} is not offered here`]);
    if (published.datasetId !== n.offer.target) return refuse(n, [`offer ${n.offer['@id']} is not an offer for ${n.offer.target}`]);
    if (!sameTerms(n.offer, published.offer)) return refuse(n, ['the requested terms differ from the published offer; counter-offers are not accepted automatically']);
    const sealed = await store.callerToken(n.id);
    const accessToken = sealed ? deps.sealer.open(sealed) : undefined;
    const types = [...new Set([CREDENTIAL_TYPE.participant, ...deps.policy.requiredCredentialTypes(published.offer)])];
    const presented = await deps.fetchCallerCredentials({ did: n.counterpartyDid, tokenId: '', ...(accessToken ? { accessToken } : {}) }, types.map(scopeForType));
    if (!presented.verified) {
      // An unreachable credential service or status list may be back soon (a restarting peer): try again a few times.
      if (TRANSIENT.has(presented.code) && work.attempts < MAX_TRANSIENT_RETRIES) throw new Error(`credentials not available yet: ${presented.code}`);
      return refuse(n, [`credentials not accepted: ${presented.code}: ${presented.message}`]);
    }
    const decision = deps.policy.evaluate(published.offer, {
      credentials: presented.credentials,
      consumerDid: n.counterpartyDid,
      providerDid: deps.did,
      datasetId: published.datasetId,
      healthCategories: published.healthCategories,
      now: new Date(),
      transferCount: 0,
    });
    if (!decision.permitted) return refuse(n, decision.reasons.length ? decision.reasons : ['the policy does not permit this request']);
    if (published.requiresApproval) {
      await steps.commit(n.id, async (trx) => {
        if (await store.move(trx, n.id, 'REQUESTED', { state: 'REQUESTED', pending: 'approval', presented: presented.presented, next: null, callerToken: null }))
          await steps.recordDecision(trx, n, 'awaits-approval');
      });
      deps.logger.info('negotiation awaits approval', { negotiation: n.id, consumer: n.counterpartyDid });
      return;
    }
    await agreeTo(n, presented.presented);
    deps.logger.info('negotiation agreed', { negotiation: n.id, consumer: n.counterpartyDid });
  };

  /** Provider: an operator approved the request (REQUESTED), or the consumer accepted our offer (ACCEPTED). */
  const agree: ProcessAction = async (id) => {
    const n = await owed(id, 'agree', 'REQUESTED', 'ACCEPTED');
    if (n) await agreeTo(n, n.presented);
  };

  /**
   * Consumer, AGREED: when the provider signs agreements (its DID document announces an agreement credential
   * service), fetches its ContractAgreementCredential, checks it carries this very agreement, counter-signs
   * it and hands the counter-signature back; then sends the (plain) verification message. A provider that
   * signs none gets a plain verification, unless this dataspace requires signed agreements.
   */
  const verify: ProcessAction = async (id) => {
    const n = await owed(id, 'verify', 'AGREED');
    if (!n?.agreementId) return;
    const stored = await store.agreement(n.agreementId);
    if (!stored) return refuse(n, [`the agreement ${n.agreementId} is missing`]);
    const endpoint = await deps.agreementCredentialEndpoint(n.counterpartyDid); // throws (retried) when the DID cannot be resolved now
    let signed: VerifiableCredential | undefined;
    if (endpoint) {
      const url = `${endpoint}/${encodeURIComponent(stored.id)}/credential`;
      const response = await deps.dspFetch({ url, audienceDid: n.counterpartyDid, method: 'GET' });
      if (!response.ok) throw new Error(`the provider's agreement credential is not available yet (HTTP ${response.status})`);
      const credential = (await response.json()) as VerifiableCredential;
      try {
        signed = await counterSignAgreement(credential, deps.signer, deps.documentLoader, { agreementId: stored.id, provider: n.counterpartyDid });
      } catch (error) {
        if ((error as Error).name !== 'AgreementError') throw error;
        return refuse(n, [(error as Error).message]);
      }
      if (!sameJson((signed.credentialSubject as { agreement?: unknown }).agreement, stored.agreement))
        return refuse(n, ['the agreement credential does not carry the agreement sent']);
      const handed = await deps.dspFetch({ url, audienceDid: n.counterpartyDid, method: 'PUT', body: signed });
      if (!handed.ok) throw new Error(`the provider did not take the counter-signed agreement (HTTP ${handed.status})`);
    } else if (deps.requireSignedAgreements) {
      return refuse(n, ['this dataspace requires agreements signed by both parties, and the provider signs none']);
    }
    await steps.commit(n.id, async (trx) => {
      const out = { path: toProvider(n, 'agreement/verification'), messageType: 'ContractAgreementVerificationMessage', body: agreementVerificationMessage(pidsOf(n)) };
      if ((await steps.advance(trx, n, 'ContractAgreementVerificationMessage', 'consumer', { next: null, pending: null }, out)) && signed)
        await store.counterSigned(trx, stored.id, signed);
    });
  };

  /**
   * Provider, VERIFIED: checks the consumer's counter-signed agreement when it sent one (our kind of
   * connector does), then finalizes; a standard peer's plain verification finalizes a plain agreement.
   */
  const finalize: ProcessAction = async (id) => {
    const n = await owed(id, 'finalize', 'VERIFIED');
    if (!n?.agreementId) return;
    const signed = await store.pendingCounterSigned(n.agreementId);
    if (signed) {
      await deps.resolveDid(n.counterpartyDid); // a consumer that cannot be resolved now is retried, not refused
      const verified = await verifyAgreementCredential(signed, deps.documentLoader);
      if (!verified.verified) return refuse(n, [`the counter-signed agreement does not verify: ${verified.reason}`]);
      if (verified.agreementId !== n.agreementId || verified.consumer !== n.counterpartyDid || verified.provider !== deps.did)
        return refuse(n, ["the counter-signed agreement is not this negotiation's agreement"]);
    } else if (deps.requireSignedAgreements) {
      return refuse(n, ['this dataspace requires agreements signed by both parties, and the consumer did not counter-sign']);
    }
    await steps.commit(n.id, async (trx) => {
      const out = { path: toConsumer(n, 'events'), messageType: 'ContractNegotiationEventMessage', body: negotiationEventMessage({ ...pidsOf(n), eventType: 'FINALIZED' }) };
      if (!(await steps.advance(trx, n, 'ContractNegotiationEventMessage:FINALIZED', 'provider', { next: null, pending: null }, out))) return;
      if (signed) await store.counterSigned(trx, n.agreementId!, signed);
      await steps.recordAgreement(trx, n, !!signed);
    });
  };

  return { decide, agree, verify, finalize };
}

/** The table's name for an outgoing message (events carry their type). */
function machineMessage(message: OutboxMessage): NegotiationMessage {
  if (message.messageType !== 'ContractNegotiationEventMessage') return message.messageType as NegotiationMessage;
  return `ContractNegotiationEventMessage:${(message.body as { eventType?: string }).eventType}` as NegotiationMessage;
}

/**
 * What the outbox does with the negotiation's messages: learn the provider's pid from the answer to our
 * request; when a peer refuses a message, read the peer's negotiation and count the message as delivered
 * if the peer is already past it; when a message cannot be delivered, end the negotiation here.
 */
export function negotiationDelivery(deps: NegotiationDeps, steps: NegotiationSteps) {
  const { store } = deps;
  return {
    async delivered(message: OutboxMessage, response: { status: number; body: unknown }) {
      const providerPid = (response.body as { providerPid?: unknown } | undefined)?.providerPid;
      if (message.messageType === 'ContractRequestMessage' && typeof providerPid === 'string' && providerPid) {
        await store.setProviderPid(message.processId, providerPid);
        store.notify(message.processId);
      }
    },
    refused: async (message: OutboxMessage) => peerIsPast(deps.dspFetch, await store.get(message.processId), 'negotiations', negotiationMachine.reached(machineMessage(message))),
    async gaveUp(message: OutboxMessage, reason: string) {
      const n = await store.get(message.processId);
      if (n && !isFinal(n.state)) await steps.commit(n.id, (trx) => steps.terminate(trx, n, [`could not deliver ${message.messageType}: ${reason}`], false));
    },
  };
}
