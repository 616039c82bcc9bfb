import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Transaction } from 'kysely';
import type { ConnectorContext } from '../context.ts';
import type { Database } from '../storage/schema.ts';
import { transferStore, type Transfer } from '../storage/transfer-store.ts';
import { negotiationStore } from '../storage/negotiation-store.ts';
import { catalogStore } from '../storage/catalog-store.ts';
import { transferMachine, isFinalTransfer, type TransferMessage, type TransferState } from '../../contracts/transfer/state-machine.ts';
import {
  httpDataAddress, tokenOf, transferCompletionMessage, transferProcess, transferRequestMessage, transferStartMessage, transferSuspensionMessage,
  transferTerminationMessage, TRANSFER_FORMATS, type TransferFormat, type TransferIncoming,
} from '../../contracts/transfer/messages.ts';
import { resolveDataSource } from '../catalog/data-source.ts';
import type { Caller } from '../trust/trust-services.ts';
import { agreementDuties, agreementRefusals } from './enforcement.ts';
import { httpPayload, measuredHttpPayload, payloadDigest, payloadOf, type Payload } from './payload.ts';
import { hashToken, IntegrityError, pullToFile, pushPayload, tokenMatches, type Progress } from './data-plane.ts';
import { DspProblem } from '../http/dsp-problem.ts';

/** A refusal of an incoming transfer message (answered as a TransferError). */
export class TransferProblem extends DspProblem {
  override name = 'TransferProblem';
}

export const TRANSFER_KIND = 'transfer';
const TOKEN_LIFETIME_MS = 60 * 60_000;
const MESSAGE_DEADLINE_MS = 10 * 60_000;
const newPid = () => `urn:uuid:${crypto.randomUUID()}`;
const base = (address: string) => address.replace(/\/+$/, '');

/** DSP transfer processes in both roles and the data plane jobs they drive (pull, push, delete). */
export function createTransferService(ctx: ConnectorContext) {
  const store = transferStore(ctx.database.db);
  const agreements = negotiationStore(ctx.database.db);
  const datasets = catalogStore(ctx.database.db);
  const jobs = new Map<string, AbortController>();
  const starting = new Set<string>();
  const progress = new Map<string, Progress>();
  const pids = (t: Transfer) => ({ providerPid: t.providerPid ?? '', consumerPid: t.consumerPid ?? '' });
  const answer = (t: Transfer, state: TransferState = t.state) => transferProcess({ ...pids(t), state });
  const path = (t: Transfer, what: string) => `/transfers/${encodeURIComponent((t.role === 'provider' ? t.consumerPid : t.providerPid)!)}/${what}`;

  async function send(trx: Transaction<Database>, t: Transfer, what: string, messageType: string, body: unknown, delayMs = 100) {
    await ctx.outbox.enqueue(trx, { kind: TRANSFER_KIND, processId: t.id, messageType, url: `${base(t.counterpartyAddress)}${what}`, audienceDid: t.counterpartyDid, body, notBefore: new Date(Date.now() + delayMs), deadline: new Date(Date.now() + MESSAGE_DEADLINE_MS) });
  }

  async function mine(pid: string, caller: Caller, other: { providerPid?: string; consumerPid?: string }): Promise<Transfer> {
    const t = await store.get(pid);
    if (!t || t.counterpartyDid !== caller.did) throw new TransferProblem(404, [`No transfer process ${pid}`], other);
    return t;
  }

  function check(t: Transfer, message: TransferMessage, sender: 'provider' | 'consumer') {
    const result = transferMachine.next(message, sender, t.state, t.lastMessage === message);
    if (!result.ok) throw new TransferProblem(400, [result.reason], t);
    return result;
  }

  /** Moves the process and, unless the peer caused it, tells the peer; stops its data plane job when it ends or pauses. */
  async function moveAndTell(t: Transfer, to: TransferState, message: TransferMessage, body: unknown | undefined, reasons?: string[]): Promise<boolean> {
    const moved = await store.transaction(async (trx) => {
      if (!(await store.move(trx, t.id, t.state, { state: to, lastMessage: message, ...(reasons ? { reasons } : {}), ...(to === 'COMPLETED' ? { completedAt: new Date().toISOString() } : {}), ...(isFinalTransfer(to) && t.role === 'provider' ? { tokenHash: null } : {}) }))) return false;
      const peerPid = t.role === 'provider' ? t.consumerPid : t.providerPid;
      if (body !== undefined && peerPid) await send(trx, t, path(t, message.replace('Transfer', '').replace('Message', '').toLowerCase()), message, body);
      return true;
    });
    if (moved && to !== 'STARTED') jobs.get(t.id)?.abort();
    return moved;
  }

  const stop = (t: Transfer, to: 'SUSPENDED' | 'TERMINATED', code: string, reasons: string[], notify = true) =>
    moveAndTell(t, to, to === 'SUSPENDED' ? 'TransferSuspensionMessage' : 'TransferTerminationMessage', notify ? (to === 'SUSPENDED' ? transferSuspensionMessage({ ...pids(t), code, reason: reasons }) : transferTerminationMessage({ ...pids(t), code, reason: reasons })) : undefined, reasons);

  // ---- provider -------------------------------------------------------------------------------------------

  async function agreementFor(t: Pick<Transfer, 'agreementId' | 'counterpartyDid'>, role: 'provider' | 'consumer') {
    const agreement = await agreements.agreement(t.agreementId);
    if (!agreement || agreement.role !== role || (role === 'provider' ? agreement.consumerDid : agreement.providerDid) !== t.counterpartyDid) return undefined;
    return agreement;
  }

  /** What the agreement says now about one more transfer (or about the current one, when `counted`). */
  async function refusals(t: Transfer, counted: boolean): Promise<string[]> {
    const agreement = await agreementFor(t, 'provider');
    if (!agreement) return [`agreement ${t.agreementId} is not an agreement with ${t.counterpartyDid}`];
    const dataset = await datasets.get(agreement.datasetId);
    if (!dataset) return [`dataset ${agreement.datasetId} is no longer offered`];
    return agreementRefusals(ctx, agreement, dataset.healthCategories, counted ? Math.max(0, agreement.transferCount - 1) : agreement.transferCount);
  }

  /**
   * The payload of a dataset's source. `measured` (size and digest recorded at the start) spares an http(s)
   * source from being read through again on every pull; a source that changed since fails the digest check.
   */
  async function payloadFor(datasetId: string, measured?: { size: number | null; digest: string | null }): Promise<Payload> {
    const dataset = await datasets.get(datasetId);
    if (!dataset) throw new Error(`dataset ${datasetId} is no longer offered`);
    const source = resolveDataSource(ctx.config.dataRoot, dataset.source);
    // The name the consumer stores it under: the file or folder's own name, or the URL's last segment.
    const base = source.kind === 'file' ? basename(source.path) : decodeURIComponent(new URL(source.url).pathname.split('/').pop() ?? '');
    const name = (base || dataset.identifier.split(/[/:#]/).pop() || 'dataset').replace(/[^\w.-]/g, '_');
    if (source.kind === 'file') return payloadOf(source.path, name);
    return measured?.size != null && measured.digest ? measuredHttpPayload(source.url, name, measured.size, measured.digest) : httpPayload(source.url, name);
  }

  async function onRequest(msg: TransferIncoming<'TransferRequestMessage'>, caller: Caller) {
    const existing = await store.byConsumerPid(caller.did, msg.consumerPid);
    if (existing) return { status: 201 as const, body: answer(existing) };
    if (!TRANSFER_FORMATS.includes(msg.format as TransferFormat)) throw new TransferProblem(400, [`format must be one of ${TRANSFER_FORMATS.join(', ')}`], msg);
    if (msg.format === 'HttpData-PUSH' && (!msg.dataAddress || !tokenOf(msg.dataAddress))) throw new TransferProblem(400, ['a push transfer needs a dataAddress with an authorization token'], msg);
    const agreement = await agreementFor({ agreementId: msg.agreementId, counterpartyDid: caller.did }, 'provider');
    if (!agreement) throw new TransferProblem(400, [`no agreement ${msg.agreementId} with ${caller.did}`], msg);
    const id = newPid();
    const t: Transfer = {
      id, role: 'provider', consumerPid: msg.consumerPid, providerPid: id, state: 'REQUESTED', agreementId: agreement.id, datasetId: agreement.datasetId, format: msg.format,
      counterpartyDid: caller.did, counterpartyAddress: base(msg.callbackAddress), dataAddress: msg.dataAddress ?? null, tokenHash: null, tokenExpiresAt: null, name: null, size: null,
      digest: null, bytesDone: 0, receivedPath: null, lastMessage: 'TransferRequestMessage', reasons: [], createdAt: '', updatedAt: '', completedAt: null, deletedAt: null, nextAction: null,
    };
    await store.transaction((trx) => store.insert(trx, t));
    setImmediate(() => void prepareAndStart(t.id).catch((error) => ctx.logger.error('transfer start failed', { transfer: t.id, error })));
    return { status: 201 as const, body: answer(t) };
  }

  /**
   * The provider's start: the agreement must still allow one more transfer (then it is counted), the data is
   * measured and hashed, and a short-lived token is minted; the start message then tells the consumer where
   * to pull (or the push begins). Anything refused terminates the process with the reasons.
   */
  async function prepareAndStart(id: string): Promise<void> {
    // One start at a time per process (the request and housekeeping may both ask); the state move guards the rest.
    if (starting.has(id)) return;
    starting.add(id);
    try {
      await prepareAndStartOnce(id);
    } finally {
      starting.delete(id);
    }
  }

  async function prepareAndStartOnce(id: string): Promise<void> {
    const t = await store.get(id);
    if (!t || t.role !== 'provider' || t.state !== 'REQUESTED') return;
    const refused = await refusals(t, false);
    if (refused.length > 0) {
      await stop(t, 'TERMINATED', 'agreement', refused);
      return;
    }
    let payload: Payload;
    let digest: string;
    try {
      payload = await payloadFor(t.datasetId);
      digest = await payloadDigest(payload);
    } catch (error) {
      await stop(t, 'TERMINATED', 'source', [`the data source cannot be read: ${(error as Error).message}`]);
      return;
    }
    const token = randomBytes(32).toString('base64url');
    const pull = t.format === 'HttpData-PULL';
    const started = await store.transaction(async (trx) => {
      const change = { state: 'STARTED' as const, lastMessage: 'TransferStartMessage', name: payload.name, size: payload.size, digest, ...(pull ? { tokenHash: hashToken(token), tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() } : {}) };
      if (!(await store.move(trx, t.id, 'REQUESTED', change))) return false;
      await agreements.countTransfer(t.agreementId, trx);
      await send(trx, t, path(t, 'start'), 'TransferStartMessage', transferStartMessage({ ...pids(t), ...(pull ? { dataAddress: httpDataAddress(`${ctx.config.publicUrl}/data/${encodeURIComponent(t.id)}`, token) } : {}) }));
      return true;
    });
    if (started && !pull) void runPush(t.id);
  }

  async function runPush(id: string): Promise<void> {
    if (jobs.has(id)) return;
    const abort = new AbortController();
    jobs.set(id, abort);
    const t = await store.get(id);
    if (!t || t.state !== 'STARTED' || !t.dataAddress) {
      jobs.delete(id);
      return;
    }
    try {
      const payload = await payloadFor(t.datasetId, t);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the consumer records STARTED first
      await pushPayload(payload, t.digest!, t.dataAddress.endpoint, tokenOf(t.dataAddress)!, abort.signal);
      await moveAndTell(t, 'COMPLETED', 'TransferCompletionMessage', transferCompletionMessage(pids(t)));
    } catch (error) {
      if (!abort.signal.aborted) await stop(t, 'TERMINATED', 'push', [`pushing the data failed: ${(error as Error).message}`]);
    } finally {
      if (jobs.get(id) === abort) jobs.delete(id);
    }
  }

  /** The data plane's gate for a pull: valid token, live process, and an agreement that still allows it. */
  async function authorizePull(id: string, presentedToken: string | undefined): Promise<{ transfer: Transfer; payload: Payload } | { status: 401 | 403 | 404 | 409; reason: string }> {
    const t = await store.get(id);
    if (!t || t.role !== 'provider') return { status: 404, reason: 'no such transfer' };
    if (!tokenMatches(presentedToken, t.tokenHash) || !t.tokenExpiresAt || Date.parse(t.tokenExpiresAt) < Date.now()) return { status: 401, reason: 'a valid, unexpired transfer token is required' };
    if (t.state !== 'STARTED') return { status: 409, reason: `the transfer is ${t.state}` };
    const refused = await refusals(t, true);
    if (refused.length > 0) {
      await stop(t, 'TERMINATED', 'agreement', refused);
      return { status: 403, reason: refused.join('; ') };
    }
    return { transfer: t, payload: await payloadFor(t.datasetId, t) };
  }

  // ---- consumer -------------------------------------------------------------------------------------------

  async function start(input: { agreementId: string; format: TransferFormat }): Promise<Transfer> {
    const agreement = await agreements.agreement(input.agreementId);
    if (!agreement || agreement.role !== 'consumer') throw new TransferProblem(404, [`No agreement ${input.agreementId} held by this connector as consumer`]);
    const negotiation = await agreements.get(agreement.negotiationId);
    if (!negotiation) throw new TransferProblem(409, ['the negotiation of this agreement is gone']);
    const id = newPid();
    const pushToken = randomBytes(32).toString('base64url');
    const dataAddress = input.format === 'HttpData-PUSH' ? httpDataAddress(`${ctx.config.publicUrl}/data/incoming/${encodeURIComponent(id)}`, pushToken) : null;
    const t: Transfer = {
      id, role: 'consumer', consumerPid: id, providerPid: null, state: 'REQUESTED', agreementId: agreement.id, datasetId: agreement.datasetId, format: input.format,
      counterpartyDid: agreement.providerDid, counterpartyAddress: negotiation.counterpartyAddress, dataAddress, tokenHash: dataAddress ? hashToken(pushToken) : null,
      tokenExpiresAt: dataAddress ? new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() : null, name: null, size: null, digest: null, bytesDone: 0, receivedPath: null,
      lastMessage: 'TransferRequestMessage', reasons: [], createdAt: '', updatedAt: '', completedAt: null, deletedAt: null, nextAction: null,
    };
    await store.transaction(async (trx) => {
      await store.insert(trx, t);
      if (t.tokenHash) await store.move(trx, t.id, 'REQUESTED', { tokenHash: t.tokenHash, tokenExpiresAt: t.tokenExpiresAt });
      await send(trx, t, '/transfers/request', 'TransferRequestMessage', transferRequestMessage({ consumerPid: id, agreementId: agreement.id, format: input.format, callbackAddress: `${ctx.config.publicUrl}/dsp/2025-1`, ...(dataAddress ? { dataAddress } : {}) }), 0);
    });
    return (await store.get(id))!;
  }

  const receivedPathOf = (t: Transfer, name: string) => join(ctx.config.dataDir, 'received', t.id.replace(/[^\w-]/g, '_'), name.replace(/[^\w.-]/g, '_').replace(/^\.+/, '_') || 'data');

  /** Pulls the data of a started transfer, resuming after cuts; completes the process once the digest matches. */
  async function runPull(id: string): Promise<void> {
    // Claimed before the first await: two triggers at once (start message, housekeeping) must not both pull.
    if (jobs.has(id)) return;
    const abort = new AbortController();
    jobs.set(id, abort);
    const t = await store.get(id);
    if (!t || t.role !== 'consumer' || t.state !== 'STARTED' || t.format !== 'HttpData-PULL' || !t.dataAddress) {
      jobs.delete(id);
      return;
    }
    const name = decodeURIComponent(new URL(t.dataAddress.endpoint).pathname.split('/').pop() ?? 'data');
    const destination = receivedPathOf(t, `${name.replace(/^urn_uuid_/, '')}.data`);
    try {
      const result = await pullToFile({ url: t.dataAddress.endpoint, token: tokenOf(t.dataAddress)!, destination, signal: abort.signal, onProgress: (p) => progress.set(id, p) });
      // Stored under the name the provider gave it (Content-Disposition), sanitized, beside nothing else.
      const named = result.filename ? receivedPathOf(t, result.filename) : destination;
      if (named !== destination) await rename(destination, named);
      await store.update(id, { receivedPath: named, size: result.size, digest: result.digest, bytesDone: result.size });
      const current = (await store.get(id))!;
      await moveAndTell(current, 'COMPLETED', 'TransferCompletionMessage', transferCompletionMessage(pids(current)));
      ctx.logger.info('transfer received', { transfer: id, bytes: result.size });
    } catch (error) {
      if (abort.signal.aborted) return;
      const current = (await store.get(id))!;
      const reason = error instanceof IntegrityError ? error.message : `the download failed: ${(error as Error).message}`;
      await store.update(id, { bytesDone: progress.get(id)?.bytes ?? 0 });
      if (current.state === 'STARTED') await stop(current, 'TERMINATED', error instanceof IntegrityError ? 'integrity' : 'download', [reason]);
    } finally {
      if (jobs.get(id) === abort) jobs.delete(id);
    }
  }

  async function onStart(pid: string, msg: TransferIncoming<'TransferStartMessage'>, caller: Caller) {
    const t = await mine(pid, caller, msg);
    const sender = t.role === 'consumer' ? 'provider' : 'consumer';
    const result = check(t, 'TransferStartMessage', sender);
    if (!result.repeated) {
      await store.transaction((trx) => store.move(trx, t.id, t.state, {
        state: 'STARTED', lastMessage: 'TransferStartMessage',
        ...(t.role === 'consumer' ? { providerPid: msg.providerPid, ...(msg.dataAddress ? { dataAddress: msg.dataAddress } : {}) } : { tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() }),
      }));
      if (t.role === 'consumer') setImmediate(() => void runPull(t.id));
    }
    return { status: 200 as const, body: null };
  }

  async function onPeerMessage(pid: string, message: 'TransferSuspensionMessage' | 'TransferCompletionMessage' | 'TransferTerminationMessage', msg: { code?: string; reason?: unknown[]; providerPid: string; consumerPid: string }, caller: Caller) {
    const t = await mine(pid, caller, msg);
    const result = check(t, message, t.role === 'consumer' ? 'provider' : 'consumer');
    if (result.repeated) return { status: 200 as const, body: null };
    if (message === 'TransferCompletionMessage' && t.role === 'consumer' && !t.receivedPath) {
      throw new TransferProblem(400, ['the consumer has not received and verified the data; it cannot be complete'], t);
    }
    const reasons = (msg.reason ?? []).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
    await moveAndTell(t, result.to, message, undefined, message === 'TransferCompletionMessage' ? undefined : [`${message === 'TransferSuspensionMessage' ? 'suspended' : 'terminated'} by ${caller.did}${msg.code ? ` (${msg.code})` : ''}`, ...reasons]);
    return { status: 200 as const, body: null };
  }

  async function get(pid: string, caller: Caller) {
    return { status: 200 as const, body: answer(await mine(pid, caller, {})) };
  }

  // ---- local actions and housekeeping ---------------------------------------------------------------------

  async function suspend(id: string, reason: string) {
    const t = await store.get(id);
    if (!t) return undefined;
    if (t.state !== 'STARTED') throw new TransferProblem(409, [`only a STARTED transfer can be suspended (it is ${t.state})`], t);
    await stop(t, 'SUSPENDED', 'suspended', [reason]);
    return store.get(id);
  }

  async function resume(id: string) {
    const t = await store.get(id);
    if (!t) return undefined;
    if (t.state !== 'SUSPENDED') throw new TransferProblem(409, [`only a SUSPENDED transfer can be resumed (it is ${t.state})`], t);
    if (t.role === 'provider') {
      const refused = await refusals(t, true);
      if (refused.length > 0) throw new TransferProblem(409, refused, t);
      const token = randomBytes(32).toString('base64url');
      const pull = t.format === 'HttpData-PULL';
      await store.transaction(async (trx) => {
        if (!(await store.move(trx, t.id, 'SUSPENDED', { state: 'STARTED', lastMessage: 'TransferStartMessage', ...(pull ? { tokenHash: hashToken(token), tokenExpiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() } : {}) }))) return;
        await send(trx, t, path(t, 'start'), 'TransferStartMessage', transferStartMessage({ ...pids(t), ...(pull ? { dataAddress: httpDataAddress(`${ctx.config.publicUrl}/data/${encodeURIComponent(t.id)}`, token) } : {}) }));
      });
      if (!pull) void runPush(t.id);
    } else {
      await store.transaction(async (trx) => {
        if (!(await store.move(trx, t.id, 'SUSPENDED', { state: 'STARTED', lastMessage: 'TransferStartMessage' }))) return;
        await send(trx, t, path(t, 'start'), 'TransferStartMessage', transferStartMessage(pids(t)));
      });
      // The pull continues once the provider has accepted the start (see the outbox's delivery handler).
    }
    return store.get(id);
  }

  async function terminate(id: string, reason: string) {
    const t = await store.get(id);
    if (!t) return undefined;
    if (isFinalTransfer(t.state)) throw new TransferProblem(409, [`the transfer is already ${t.state}`], t);
    await stop(t, 'TERMINATED', 'terminated', [reason]);
    return store.get(id);
  }

  /**
   * Provider: ends transfers whose agreement no longer allows them (expired, credentials revoked) and starts
   * requests not yet started (after a restart). Consumer: resumes interrupted pulls and honours delete duties.
   */
  async function housekeeping(): Promise<void> {
    for (const t of await store.active('provider')) {
      if (t.state === 'REQUESTED') await prepareAndStart(t.id);
      else {
        const refused = await refusals(t, true);
        if (refused.length > 0) await stop(t, 'TERMINATED', 'agreement', refused);
      }
    }
    for (const t of await store.active('consumer')) if (t.state === 'STARTED' && t.format === 'HttpData-PULL' && !jobs.has(t.id)) void runPull(t.id);
    for (const t of await store.withReceivedData()) {
      const agreement = await agreements.agreement(t.agreementId);
      const due = agreement && agreementDuties(agreement).find((d) => d.action === 'delete' && d.dueAt && Date.parse(d.dueAt) <= Date.now());
      if (!due) continue;
      await rm(join(t.receivedPath!, '..'), { recursive: true, force: true });
      await store.update(t.id, { deletedAt: new Date().toISOString() });
      ctx.logger.info('received data deleted as the agreement requires', { transfer: t.id, agreement: t.agreementId, dueAt: due.dueAt });
    }
  }

  ctx.outbox.handle(TRANSFER_KIND, {
    async delivered(message, response) {
      const providerPid = (response.body as { providerPid?: unknown } | undefined)?.providerPid;
      if (message.messageType === 'TransferRequestMessage' && typeof providerPid === 'string') {
        const t = await store.get(message.processId);
        if (t && !t.providerPid) await store.update(t.id, { providerPid });
      }
      // A consumer's resume: the provider has accepted the start, so the pull can continue.
      if (message.messageType === 'TransferStartMessage') {
        const t = await store.get(message.processId);
        if (t?.role === 'consumer' && t.state === 'STARTED') setImmediate(() => void runPull(t.id));
      }
    },
    async gaveUp(message, reason) {
      const t = await store.get(message.processId);
      if (t && !isFinalTransfer(t.state)) await stop(t, 'TERMINATED', 'unreachable', [`could not deliver ${message.messageType}: ${reason}`], false);
    },
  });

  /** Stops running pulls and pushes (shutdown); they resume from their partial files at the next start. */
  function stopJobs(): void {
    for (const job of jobs.values()) job.abort();
  }

  return { store, progress, stopJobs, start, onRequest, onStart, onPeerMessage, get, authorizePull, suspend, resume, terminate, housekeeping, receivedPathOf };
}

export type TransferService = ReturnType<typeof createTransferService>;
