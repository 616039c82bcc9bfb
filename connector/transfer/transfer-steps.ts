import type { Transaction } from 'kysely';
import type { AuditActor } from '../../contracts/audit/events.ts';
import type { Database } from '../storage/schema.ts';
import type { Logger } from '../logger.ts';
import type { Outbox } from '../outbox/outbox-worker.ts';
import type { DspFetch } from '../http/dsp-client.ts';
import type { Transfer, TransferChange } from '../../contracts/transfer/transfer.ts';
import type { TransferStore } from '../storage/transfer-store.ts';
import type { StoredAgreement } from '../../contracts/negotiation/negotiation.ts';
import type { NegotiationStore } from '../storage/negotiation-store.ts';
import type { CatalogStore } from '../storage/catalog-store.ts';
import type { ReceivedMessageStore } from '../storage/work-queue-store.ts';
import type { JobBoard } from '../data-plane/jobs.ts';
import type { EgressFetch } from '../egress/egress-guard.ts';
import type { AuditRecorder } from '../audit/trail.ts';
import { transferMachine, type TransferMessage, type TransferRole, type TransferState } from '../../contracts/transfer/state-machine.ts';
import { transferProcess, transferSuspensionMessage, transferTerminationMessage } from '../../contracts/transfer/messages.ts';
import { DspProblem } from '../http/dsp-problem.ts';
import type { ReleaseReport } from '../../health/report.ts';
import { releaseCounts } from './release-report.ts';

/** A refusal of an incoming transfer message (answered as a TransferError). */
export class TransferProblem extends DspProblem {
  override name = 'TransferProblem';
}

/** What the transfer capability needs from the rest of the connector. */
export interface TransferDeps {
  did: string;
  publicUrl: string;
  dataRoot: string;
  dataDir: string;
  store: TransferStore;
  agreements: NegotiationStore;
  datasets: Pick<CatalogStore, 'get'>;
  received: ReceivedMessageStore;
  outbox: Outbox;
  dspFetch: DspFetch;
  logger: Logger;
  /** The data plane's running jobs: stopped when a transfer leaves STARTED. */
  jobs: JobBoard;
  /** Whether `address` is at an origin the peer `did` publishes (its DID document's services). */
  peerOwns(did: string, address: string): Promise<boolean>;
  /** Provider: every request waits in REQUESTED for the operator (approve or terminate) instead of starting at once. */
  reviewTransfers: boolean;
  /** Consumer: pull as soon as the provider starts; false waits for the operator (pull). */
  pullOnStart: boolean;
  /** The egress guard pulls, pushes and http(s) sources go through (a peer names the first two addresses). */
  egress: EgressFetch;
  /** The agreement's ODRL terms alone, with `transfersDone` transfers before this one (pure, no I/O). */
  policyRefusals(agreement: StoredAgreement, healthCategories: string[], transfersDone: number): string[];
  /** Whether an agreement still allows a transfer: the reasons against ([] = allowed). */
  agreementRefusals(agreement: StoredAgreement, healthCategories: string[], transfersDone: number): Promise<string[]>;
  /** The tamper-evident audit trail: starts, completions and terminations are recorded with the change. */
  audit: AuditRecorder<Transaction<Database>>;
  /** Tells the processor that work was scheduled. */
  wake(): void;
  /** A transfer left STARTED (completed, suspended, terminated): what was kept for serving it can go. */
  leftStarted?(transferId: string): void;
}

export const TRANSFER_KIND = 'transfer';
export const TOKEN_LIFETIME_MS = 60 * 60_000;
const MESSAGE_DEADLINE_MS = 10 * 60_000;
export const newPid = () => `urn:uuid:${crypto.randomUUID()}`;
export const withoutTrailingSlash = (address: string) => address.replace(/\/+$/, '');
export const pidsOf = (t: Pick<Transfer, 'providerPid' | 'consumerPid'>) => ({ providerPid: t.providerPid ?? '', consumerPid: t.consumerPid ?? '' });
export const answerOf = (t: Transfer, state: TransferState = t.state) => transferProcess({ ...pidsOf(t), state });
export const peerRole = (t: Transfer): TransferRole => (t.role === 'provider' ? 'consumer' : 'provider');
const peerPath = (t: Transfer, what: string) => `/transfers/${encodeURIComponent((t.role === 'provider' ? t.consumerPid : t.providerPid)!)}/${what}`;
const ENDPOINT: Record<TransferMessage, string> = {
  TransferRequestMessage: 'request',
  TransferStartMessage: 'start',
  TransferSuspensionMessage: 'suspension',
  TransferCompletionMessage: 'completion',
  TransferTerminationMessage: 'termination',
};

/**
 * The state changes the transfer capability shares. `advance` is the one way a transfer changes state: the
 * table says where the message takes it; the state moves (compare-and-set), the message this side sends is
 * queued and the next action scheduled, all in one transaction.
 */
export function transferSteps(deps: TransferDeps) {
  async function enqueue(trx: Transaction<Database>, t: Transfer, message: TransferMessage, body: unknown, delayMs = 100) {
    const path = message === 'TransferRequestMessage' ? '/transfers/request' : peerPath(t, ENDPOINT[message]);
    await deps.outbox.enqueue(trx, {
      kind: TRANSFER_KIND,
      processId: t.id,
      messageType: message,
      url: `${withoutTrailingSlash(t.counterpartyAddress)}${path}`,
      audienceDid: t.counterpartyDid,
      body,
      notBefore: new Date(Date.now() + delayMs),
      deadline: new Date(Date.now() + MESSAGE_DEADLINE_MS),
    });
  }

  /**
   * Applies `message`, sent by `sender`, to `t`. With `body`, this side sends it (to a peer that knows the
   * transfer). False when another writer moved it first; throws when the table forbids it.
   */
  async function advance(
    trx: Transaction<Database>,
    t: Transfer,
    message: TransferMessage,
    sender: TransferRole,
    change: Omit<TransferChange, 'state'> = {},
    body?: unknown,
  ): Promise<boolean> {
    const step = transferMachine.next(message, sender, t.state);
    if (!step.ok) throw new TransferProblem(409, [step.reason], t);
    const final = step.to === 'COMPLETED' || step.to === 'TERMINATED';
    const extra: Omit<TransferChange, 'state'> = {
      ...(step.to === 'COMPLETED' ? { completedAt: new Date().toISOString() } : {}),
      // A provider's pull token dies with the transfer; nothing is owed a transfer that ended.
      ...(final && t.role === 'provider' ? { tokenHash: null } : {}),
      ...(final ? { next: null } : {}),
    };
    if (!(await deps.store.move(trx, t.id, t.state, { ...extra, ...change, state: step.to, lastMessage: message }))) return false;
    await recordMove(trx, { ...t, ...change } as Transfer, step.to, 'us', (change.reasons as string[] | undefined) ?? []);
    const peerPid = t.role === 'provider' ? t.consumerPid : t.providerPid;
    if (body !== undefined && (peerPid || message === 'TransferRequestMessage')) await enqueue(trx, t, message, body);
    return true;
  }

  /** Records a transfer that started, completed or was terminated, in the transaction of that change. */
  async function recordMove(
    trx: Transaction<Database>,
    t: Transfer,
    to: TransferState,
    by: 'us' | 'peer' | 'enforcement',
    reasons: string[],
    actor: AuditActor = 'connector',
  ): Promise<void> {
    const subjects = { transferId: t.id, agreementId: t.agreementId };
    if (to === 'STARTED' && t.state === 'REQUESTED') {
      await deps.audit.record(trx, {
        type: 'transfer.started',
        actor,
        subjects,
        details: { role: t.role, counterpartyDid: t.counterpartyDid, datasetId: t.datasetId, transferType: t.format },
      });
    } else if (to === 'COMPLETED') {
      const current = (await deps.store.get(t.id, trx)) ?? t;
      await deps.audit.record(trx, {
        type: 'transfer.completed',
        actor,
        subjects,
        details: {
          role: t.role,
          digest: current.digest ?? '',
          sizeBytes: current.size ?? 0,
          ...(current.release ? { release: releaseCounts(current.release as unknown as ReleaseReport) } : {}),
        },
      });
    } else if (to === 'TERMINATED') {
      await deps.audit.record(trx, { type: 'transfer.terminated', actor, subjects, details: { by, reasons } });
    }
  }

  /** Runs `work` in a transaction, then wakes the processor and stops data-plane jobs of transfers that left STARTED. */
  async function commit<T>(work: (trx: Transaction<Database>) => Promise<T>, affected?: string): Promise<T> {
    const result = await deps.store.transaction(work);
    deps.wake();
    if (affected) {
      const t = await deps.store.get(affected);
      if (t && t.state !== 'STARTED') {
        deps.jobs.cancel(t.id);
        deps.leftStarted?.(t.id);
      }
    }
    return result;
  }

  /** This side suspends or terminates `t` with `reasons`, telling the peer (unless `notify` is false). */
  /** `told` is what the peer is told when it must not learn the local detail in `reasons` (our own record keeps it). */
  async function stop(t: Transfer, to: 'SUSPENDED' | 'TERMINATED', code: string, reasons: string[], notify = true, told = reasons): Promise<boolean> {
    const message = to === 'SUSPENDED' ? 'TransferSuspensionMessage' : 'TransferTerminationMessage';
    const build = to === 'SUSPENDED' ? transferSuspensionMessage : transferTerminationMessage;
    return commit((trx) => advance(trx, t, message, t.role, { reasons, next: null }, notify ? build({ ...pidsOf(t), code, reason: told }) : undefined), t.id);
  }

  /**
   * The agreement behind a transfer, if it is this side's agreement with the transfer's counterparty and it
   * stands: its negotiation is FINALIZED (the consumer verified, the provider finalized). An agreement of a
   * negotiation stuck in AGREED, or terminated or expired since, allows no data.
   */
  async function agreementFor(t: Pick<Transfer, 'agreementId' | 'counterpartyDid'>, role: TransferRole): Promise<StoredAgreement | undefined> {
    const agreement = await deps.agreements.agreement(t.agreementId);
    if (!agreement || agreement.role !== role || (role === 'provider' ? agreement.consumerDid : agreement.providerDid) !== t.counterpartyDid) return undefined;
    const negotiation = await deps.agreements.get(agreement.negotiationId);
    return negotiation?.state === 'FINALIZED' ? agreement : undefined;
  }

  /** What the agreement says now about one more transfer (or about the current one, when `counted`). */
  async function refusals(t: Transfer, counted: boolean): Promise<string[]> {
    const agreement = await agreementFor(t, 'provider');
    if (!agreement) return [`agreement ${t.agreementId} is not a finalized agreement with ${t.counterpartyDid}`];
    const dataset = await deps.datasets.get(agreement.datasetId);
    if (!dataset) return [`dataset ${agreement.datasetId} is no longer offered`];
    return deps.agreementRefusals(agreement, dataset.healthCategories, counted ? Math.max(0, agreement.transferCount - 1) : agreement.transferCount);
  }

  return { enqueue, advance, commit, stop, agreementFor, refusals, recordMove };
}

export type TransferSteps = ReturnType<typeof transferSteps>;
