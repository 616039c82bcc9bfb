import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.ts';
import type { Logger } from '../logger.ts';
import type { Outbox } from '../outbox/outbox-worker.ts';
import type { DspFetch } from '../http/dsp-client.ts';
import type { ProofSigner } from '../../contracts/credentials/proofs.ts';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import type { Caller } from '../trust/trust-services.ts';
import type { PresentationCheck } from '../../contracts/credentials/verifier.ts';
import type { SecretSealer } from '../storage/sealed-secrets.ts';
import type { Negotiation, NegotiationChange } from '../../contracts/negotiation/negotiation.ts';
import type { NegotiationStore } from '../storage/negotiation-store.ts';
import type { ReceivedMessageStore } from '../storage/work-queue-store.ts';
import { negotiationMachine, type NegotiationMessage, type NegotiationRole, type NegotiationState } from '../../contracts/negotiation/state-machine.ts';
import { contractNegotiation, terminationMessage } from '../../contracts/negotiation/messages.ts';
import { credentialDigest } from '../../contracts/credentials/verifier.ts';
import type { OfferCatalog, PolicyEngine } from './ports.ts';
import type { AuditRecorder } from '../audit/trail.ts';
import { DspProblem } from '../http/dsp-problem.ts';

/** A refusal of an incoming message: the DSP status and the reasons, naming both pids where known. */
export class NegotiationProblem extends DspProblem {
  override name = 'NegotiationProblem';
}

/** What the negotiation capability needs from the rest of the connector, and nothing more. */
export interface NegotiationDeps {
  did: string;
  /** Our DSP base URL, the callbackAddress peers answer to. */
  dspUrl: string;
  store: NegotiationStore & { waitFor(id: string, done: (n: Negotiation) => boolean, timeoutMs: number): Promise<Negotiation | undefined>; notify(id: string): void };
  received: ReceivedMessageStore;
  outbox: Outbox;
  dspFetch: DspFetch;
  signer: ProofSigner;
  documentLoader: DocumentLoader;
  /** Resolves a peer's DID document (cached); throws when it cannot be had now. */
  resolveDid(did: string): Promise<unknown>;
  sealer: SecretSealer;
  /** Whether `address` is at an origin the peer `did` publishes (its DID document's services). */
  peerOwns(did: string, address: string): Promise<boolean>;
  /** Asks a caller's credential service for its credentials in `scopes` and verifies the presentation. */
  fetchCallerCredentials(caller: Caller, scopes: string[]): Promise<PresentationCheck>;
  offers: OfferCatalog;
  policy: PolicyEngine;
  logger: Logger;
  /** The tamper-evident audit trail: decisions and agreements are recorded in the transaction of the change. */
  audit: AuditRecorder<Transaction<Database>>;
  /** Consumer: agreements wait in AGREED for an operator's review (POST /api/negotiations/:id/verify) instead of being verified at once. */
  reviewAgreements: boolean;
  /** Provider: on datasets that require approval, the operator also agrees after ACCEPTED and finalizes after VERIFIED. */
  reviewNegotiationSteps: boolean;
  /** Both sides must sign each agreement (ContractAgreementCredential); a peer that cannot is refused. */
  requireSignedAgreements: boolean;
  /** The peer's agreement credential endpoint, if its DID document announces one (AgreementCredentialService). */
  agreementCredentialEndpoint(did: string): Promise<string | undefined>;
  /** How long a negotiation may take before it is terminated as timed out. */
  timeoutMs: number;
  /** Delay before a follow-up message, so our answer has reached the peer first. */
  followUpDelayMs: number;
  /** Tells the processor that work was scheduled. */
  wake(): void;
}

/** A message to the counterparty, queued in the transaction of the state change it announces. */
export interface Outgoing {
  path: string;
  messageType: string;
  body: unknown;
  scopes?: string[];
  /** Sent only after a short delay, so our answer to the peer's own message reaches it first. */
  followUp?: boolean;
}

export const NEGOTIATION_KIND = 'negotiation';
export const newPid = () => `urn:uuid:${crypto.randomUUID()}`;
export const withoutTrailingSlash = (address: string) => address.replace(/\/+$/, '');
export const pidsOf = (n: Pick<Negotiation, 'providerPid' | 'consumerPid'>) => ({ providerPid: n.providerPid ?? '', consumerPid: n.consumerPid ?? '' });
export const answerOf = (n: Negotiation, state: NegotiationState = n.state) => contractNegotiation({ ...pidsOf(n), state });
export const toConsumer = (n: Negotiation, what: string) => `/negotiations/${encodeURIComponent(n.consumerPid!)}/${what}`;
export const toProvider = (n: Negotiation, what: string) => `/negotiations/${encodeURIComponent(n.providerPid!)}/${what}`;
export const peerRole = (n: Negotiation): NegotiationRole => (n.role === 'provider' ? 'consumer' : 'provider');

/**
 * When a follow-up may go out: `delayMs` after the negotiation last changed (when we applied the peer's
 * message and answered it), so the peer has our answer first; a processor that took longer sends at once.
 */
export function followUpTime(n: Pick<Negotiation, 'updatedAt'>, delayMs: number): Date {
  const changed = Date.parse(n.updatedAt);
  return new Date(Math.max(Date.now(), (Number.isNaN(changed) ? Date.now() : changed) + delayMs));
}

/** What a new negotiation needs named; the rest starts empty, with the deadline `timeoutMs` from now. */
export type NewNegotiationFields = Pick<
  Negotiation,
  'id' | 'role' | 'consumerPid' | 'providerPid' | 'state' | 'counterpartyDid' | 'counterpartyAddress' | 'offer' | 'lastMessage' | 'pending' | 'nextAction'
>;

export function newNegotiation(fields: NewNegotiationFields, timeoutMs: number): Negotiation {
  return {
    ...fields,
    counterpartyAddress: withoutTrailingSlash(fields.counterpartyAddress),
    datasetId: fields.offer.target,
    agreementId: null,
    reasons: [],
    presented: [],
    createdAt: '',
    updatedAt: '',
    deadlineAt: new Date(Date.now() + timeoutMs).toISOString(),
  };
}

/** Equal as JSON documents, whatever the order of their keys. */
export const sameJson = (a: unknown, b: unknown) => credentialDigest(a) === credentialDigest(b);

/**
 * The state changes every part of the negotiation capability shares. `advance` is the one way a negotiation
 * changes state: the transition table says where a message takes it; the state moves (compare-and-set),
 * the message it implies is queued and the next action scheduled, all in the caller's transaction.
 */
export function negotiationSteps(deps: NegotiationDeps) {
  async function enqueue(trx: Transaction<Database>, n: Negotiation, out: Outgoing) {
    await deps.outbox.enqueue(trx, {
      kind: NEGOTIATION_KIND,
      processId: n.id,
      messageType: out.messageType,
      url: `${withoutTrailingSlash(n.counterpartyAddress)}${out.path}`,
      audienceDid: n.counterpartyDid,
      body: out.body,
      ...(out.scopes ? { scopes: out.scopes } : {}),
      notBefore: followUpTime(n, out.followUp === false ? 0 : deps.followUpDelayMs),
      deadline: new Date(n.deadlineAt),
    });
  }

  /** Applies `message`, sent by `sender`, to `n`; false when another writer moved it first. Throws when the table forbids it. */
  async function advance(
    trx: Transaction<Database>,
    n: Negotiation,
    message: NegotiationMessage,
    sender: NegotiationRole,
    change: Omit<NegotiationChange, 'state'> = {},
    out?: Outgoing,
  ): Promise<boolean> {
    const step = negotiationMachine.next(message, sender, n.state);
    if (!step.ok) throw new NegotiationProblem(409, [step.reason], n);
    if (!(await deps.store.move(trx, n.id, n.state, { ...change, state: step.to, lastMessage: message }))) return false;
    if (out) await enqueue(trx, n, out);
    return true;
  }

  /** Ends a live negotiation with `reasons`; the peer is told when `notify` and it knows the negotiation. */
  async function terminate(trx: Transaction<Database>, n: Negotiation, reasons: string[], notify: boolean, by: 'us' | 'timeout' = 'us'): Promise<boolean> {
    const peerPid = n.role === 'provider' ? n.consumerPid : n.providerPid;
    const tell = notify && peerPid;
    const out: Outgoing | undefined = tell
      ? {
          path: n.role === 'provider' ? toConsumer(n, 'termination') : toProvider(n, 'termination'),
          messageType: 'ContractNegotiationTerminationMessage',
          body: terminationMessage({ ...pidsOf(n), code: 'terminated', reason: reasons }),
        }
      : undefined;
    if (!(await advance(trx, n, 'ContractNegotiationTerminationMessage', n.role, { reasons, pending: null, next: null, callerToken: null }, out))) return false;
    await deps.audit.record(trx, { type: 'negotiation.terminated', actor: 'connector', subjects: { negotiationId: n.id }, details: { by, reasons } });
    return true;
  }

  /** Records the provider's decision on a request, in the transaction that acts on it. */
  async function recordDecision(trx: Transaction<Database>, n: Negotiation, outcome: 'agreed' | 'refused' | 'awaits-approval', reasons: string[] = []): Promise<void> {
    await deps.audit.record(trx, {
      type: 'negotiation.decided',
      actor: 'connector',
      subjects: { negotiationId: n.id },
      details: { outcome, reasons, counterpartyDid: n.counterpartyDid, datasetId: n.datasetId, offerId: n.offer['@id'] },
    });
  }

  /** Records a concluded (FINALIZED) agreement. */
  async function recordAgreement(trx: Transaction<Database>, n: Negotiation, doublySigned: boolean): Promise<void> {
    const [providerDid, consumerDid] = n.role === 'provider' ? [deps.did, n.counterpartyDid] : [n.counterpartyDid, deps.did];
    await deps.audit.record(trx, {
      type: 'agreement.concluded',
      actor: 'connector',
      subjects: { agreementId: n.agreementId!, negotiationId: n.id },
      details: { role: n.role, providerDid, consumerDid, datasetId: n.datasetId, doublySigned },
    });
  }

  /** Runs `work` on negotiation `id` in a transaction, then tells its waiters and the processor. */
  async function commit<T>(id: string, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await deps.store.transaction(work);
    deps.store.notify(id);
    deps.wake();
    return result;
  }

  return { enqueue, advance, terminate, commit, recordDecision, recordAgreement };
}

export type NegotiationSteps = ReturnType<typeof negotiationSteps>;
