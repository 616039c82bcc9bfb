import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { ConnectorContext, RawRoute } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody, parseQuery } from '../http/openapi.ts';
import { requireCaller } from '../trust/caller-auth.ts';
import { MalformedTransferMessage, parseTransferMessage, TRANSFER_FORMATS, transferError, type TransferIncomingType } from '../../contracts/transfer/messages.ts';
import { TRANSFER_STATES } from '../../contracts/transfer/state-machine.ts';
import type { Transfer } from '../storage/transfer-store.ts';
import { fileSize, IntegrityError, parseDigest, planServe, receiveToFile, tokenMatches, writePayload } from './data-plane.ts';
import { payloadDigest } from './payload.ts';
import { TransferProblem, type TransferService } from './transfer-service.ts';

const bearer = (c: Context) => c.req.header('authorization')?.replace(/^Bearer\s+/i, '');

/** DSP 2025-1 transfer process endpoints, provider and consumer, on one base path (pids are this side's own). */
export function transferDspRoutes(ctx: ConnectorContext, service: TransferService): Hono {
  const app = new Hono();
  const error = (c: Context, status: ContentfulStatusCode, reasons: string[], pids: { providerPid?: string; consumerPid?: string } = {}) => c.json(transferError({ ...pids, code: String(status), reason: reasons }), status);
  app.use('/transfers/*', requireCaller(ctx.trust, (c, reason) => error(c, 401, [reason])));
  app.onError((e, c) => {
    if (e instanceof TransferProblem) return error(c, e.status, e.reasons, e.pids);
    if (e instanceof MalformedTransferMessage) return error(c, 400, [e.message]);
    ctx.logger.error('transfer endpoint failed', { path: c.req.path, error: e });
    return error(c, 500, ['internal error; the request id identifies it in the provider log']);
  });
  const body = async <T extends TransferIncomingType>(c: Context, type: T) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new MalformedTransferMessage(`Malformed ${type}: the body is not JSON`);
    }
    return parseTransferMessage(type, raw);
  };
  const reply = (c: Context, result: { status: 200 | 201; body: unknown }) => (result.body === null ? c.body(null, 200) : c.json(result.body, result.status));
  const pid = (c: Context) => c.req.param('pid')!;

  app.get('/transfers/:pid', async (c) => reply(c, await service.get(pid(c), c.get('caller'))));
  app.post('/transfers/request', async (c) => reply(c, await service.onRequest(await body(c, 'TransferRequestMessage'), c.get('caller'))));
  app.post('/transfers/:pid/start', async (c) => reply(c, await service.onStart(pid(c), await body(c, 'TransferStartMessage'), c.get('caller'))));
  app.post('/transfers/:pid/suspension', async (c) => reply(c, await service.onPeerMessage(pid(c), 'TransferSuspensionMessage', await body(c, 'TransferSuspensionMessage'), c.get('caller'))));
  app.post('/transfers/:pid/completion', async (c) => reply(c, await service.onPeerMessage(pid(c), 'TransferCompletionMessage', await body(c, 'TransferCompletionMessage'), c.get('caller'))));
  app.post('/transfers/:pid/termination', async (c) => reply(c, await service.onPeerMessage(pid(c), 'TransferTerminationMessage', await body(c, 'TransferTerminationMessage'), c.get('caller'))));
  return app;
}

/**
 * The data plane's pull endpoint, GET (or HEAD) /data/:id, answered on the raw Node request so bytes go from
 * disk to socket with no web-stream layer: the holder of the transfer's token gets the payload (or a range of
 * it) after the agreement is checked again; errors carry the management API's error body.
 */
export function dataPullRoute(ctx: ConnectorContext, service: TransferService): RawRoute {
  const problem = (res: ServerResponse, status: number, code: string, message: string, requestId: string) => {
    const body = JSON.stringify({ error: { code, message }, requestId });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, ...(status === 401 ? { 'www-authenticate': 'Bearer realm="data-plane"' } : {}) });
    res.end(body);
  };
  const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'agreement_refused', 404: 'not_found', 409: 'invalid_state' };
  async function answer(req: IncomingMessage, res: ServerResponse, id: string, requestId: string): Promise<void> {
    const token = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const result = await service.authorizePull(id, token);
    if ('status' in result) return problem(res, result.status, CODES[result.status]!, result.reason, requestId);
    const range = req.headers.range;
    ctx.logger.info('data pull', { transfer: result.transfer.id, range: range ?? 'all' });
    const plan = planServe(result.payload, await payloadDigest(result.payload), range);
    plan.headers['x-request-id'] = requestId;
    await writePayload(res, result.payload, plan, req.method === 'HEAD');
  }
  return (req, res) => {
    const match = /^\/data\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '');
    if (!match || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const started = performance.now();
    const requestId = randomUUID();
    let id: string;
    try {
      id = decodeURIComponent(match[1]!);
    } catch {
      problem(res, 404, 'not_found', 'no such transfer', requestId);
      return true;
    }
    answer(req, res, id, requestId)
      .catch((error) => {
        if (res.headersSent) {
          // The consumer went away or the source failed mid-body: the cut shows as a short body, and a resumed pull continues it.
          ctx.logger.warn('data pull interrupted', { transfer: id, reason: (error as Error).message });
          res.destroy();
        } else {
          ctx.logger.error('data pull failed', { requestId, transfer: id, error });
          problem(res, 500, 'internal_error', 'Internal error; the request id identifies it in the server log', requestId);
        }
      })
      .finally(() => ctx.observeRequest({ requestId, method: req.method!, path: '/data/:id', route: '/data/:id', status: res.statusCode, seconds: (performance.now() - started) / 1000 }));
    return true;
  };
}

/** PUT /data/incoming/:id receives a push for one of this consumer's transfers. */
export function dataPushRoutes(ctx: ConnectorContext, service: TransferService): Hono {
  const app = new Hono();
  app.put('/data/incoming/:id', async (c) => {
    const t = await service.store.get(c.req.param('id'));
    if (!t || t.role !== 'consumer' || t.format !== 'HttpData-PUSH') throw new HttpProblem(404, 'not_found', 'no such push transfer');
    if (!tokenMatches(bearer(c), t.tokenHash) || !t.tokenExpiresAt || Date.parse(t.tokenExpiresAt) < Date.now()) throw new HttpProblem(401, 'unauthorized', 'a valid push token is required');
    if (t.state !== 'REQUESTED' && t.state !== 'STARTED') throw new HttpProblem(409, 'invalid_state', `the transfer is ${t.state}`);
    const digest = parseDigest(c.req.header('repr-digest') ?? c.req.header('content-digest'));
    if (!digest || !c.req.raw.body) throw new HttpProblem(400, 'invalid_request', 'a push needs a body and a Repr-Digest (sha-256)');
    const name = /filename="([^"]+)"/.exec(c.req.header('content-disposition') ?? '')?.[1] ?? 'data';
    const destination = service.receivedPathOf(t, name);
    const length = c.req.header('content-length');
    try {
      const result = await receiveToFile(Readable.fromWeb(c.req.raw.body as NodeReadableStream), digest, length ? Number(length) : undefined, destination, (bytes) => service.progress.set(t.id, { bytes, total: length ? Number(length) : null, bytesPerSecond: 0 }));
      await service.store.update(t.id, { receivedPath: destination, size: result.size, digest: result.digest, bytesDone: result.size });
      return c.json({ received: result.size });
    } catch (error) {
      if (error instanceof IntegrityError) throw new HttpProblem(400, 'integrity', error.message);
      throw error;
    }
  });
  return app;
}

const StartTransfer = z.strictObject({ agreementId: z.string().min(1), format: z.enum(TRANSFER_FORMATS).default('HttpData-PULL') });
const Reason = z.strictObject({ reason: z.string().min(1).max(500) });
const ListQuery = z.object({ role: z.enum(['provider', 'consumer']).optional(), state: z.enum(TRANSFER_STATES).optional(), agreementId: z.string().optional() });
const TransferView = z.object({ id: z.string(), role: z.string(), state: z.string(), agreementId: z.string(), datasetId: z.string(), format: z.string(), counterpartyDid: z.string(), size: z.number().nullable(), digest: z.string().nullable(), progress: z.unknown(), receivedPath: z.string().nullable(), deletedAt: z.string().nullable(), reasons: z.array(z.string()) });

/** Management API: start, list, inspect, suspend, resume and terminate transfers; download what was received. */
export function transferManagementRoutes(ctx: ConnectorContext, service: TransferService): Hono {
  const app = new Hono();
  const tag = 'transfers';
  const view = (t: Transfer) => ({
    id: t.id, role: t.role, state: t.state, agreementId: t.agreementId, datasetId: t.datasetId, format: t.format, counterpartyDid: t.counterpartyDid, size: t.size, digest: t.digest,
    progress: service.progress.get(t.id) ?? { bytes: t.bytesDone, total: t.size, bytesPerSecond: 0 }, receivedPath: t.receivedPath, completedAt: t.completedAt, deletedAt: t.deletedAt, reasons: t.reasons,
  });
  ctx.openapi.add(
    { method: 'post', path: '/transfers', tag, summary: 'Start a transfer under an agreement (HttpData-PULL or HttpData-PUSH)', body: StartTransfer, responses: { 201: { description: 'REQUESTED', schema: TransferView }, 404: { description: 'Unknown agreement' } } },
    { method: 'get', path: '/transfers', tag, summary: 'Transfers, newest first', query: ListQuery, responses: { 200: { description: 'Transfers', schema: z.object({ transfers: z.array(TransferView) }) } } },
    { method: 'get', path: '/transfers/{id}', tag, summary: 'One transfer with its progress (bytes, rate)', responses: { 200: { description: 'The transfer', schema: TransferView }, 404: { description: 'Unknown' } } },
    { method: 'post', path: '/transfers/{id}/suspend', tag, summary: 'Suspend a started transfer', body: Reason, responses: { 200: { description: 'SUSPENDED', schema: TransferView }, 409: { description: 'Not started' } } },
    { method: 'post', path: '/transfers/{id}/resume', tag, summary: 'Resume a suspended transfer', responses: { 200: { description: 'STARTED', schema: TransferView }, 409: { description: 'Not suspended' } } },
    { method: 'post', path: '/transfers/{id}/terminate', tag, summary: 'Terminate a transfer', body: Reason, responses: { 200: { description: 'TERMINATED', schema: TransferView }, 409: { description: 'Already final' } } },
    { method: 'get', path: '/transfers/{id}/data', tag, summary: 'Download the data this consumer received (complete and digest-checked only)', responses: { 200: { description: 'The data', contentType: 'application/octet-stream' }, 404: { description: 'Nothing received' } } },
  );
  const found = (t: Transfer | undefined, id: string) => {
    if (!t) throw new HttpProblem(404, 'not_found', `No transfer ${id}`);
    return view(t);
  };
  const guarded = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TransferProblem) throw new HttpProblem(error.status === 404 ? 404 : 409, error.status === 404 ? 'not_found' : 'invalid_state', error.message);
      throw error;
    }
  };
  app.post('/transfers', async (c) => {
    const input = await parseJsonBody(c, StartTransfer);
    return c.json(view(await guarded(() => service.start(input))), 201);
  });
  app.get('/transfers', async (c) => c.json({ transfers: (await service.store.list(parseQuery(c, ListQuery))).map(view) }));
  app.get('/transfers/:id', async (c) => c.json(found(await service.store.get(c.req.param('id')), c.req.param('id'))));
  app.post('/transfers/:id/suspend', async (c) => {
    const { reason } = await parseJsonBody(c, Reason);
    return c.json(found(await guarded(() => service.suspend(c.req.param('id'), reason)), c.req.param('id')));
  });
  app.post('/transfers/:id/resume', async (c) => c.json(found(await guarded(() => service.resume(c.req.param('id'))), c.req.param('id'))));
  app.post('/transfers/:id/terminate', async (c) => {
    const { reason } = await parseJsonBody(c, Reason);
    return c.json(found(await guarded(() => service.terminate(c.req.param('id'), reason)), c.req.param('id')));
  });
  app.get('/transfers/:id/data', async (c) => {
    const t = await service.store.get(c.req.param('id'));
    if (!t || t.role !== 'consumer' || t.state !== 'COMPLETED' || !t.receivedPath || t.deletedAt || fileSize(t.receivedPath) !== t.size) throw new HttpProblem(404, 'not_found', 'No complete, digest-checked data for this transfer');
    return new Response(Readable.toWeb(createReadStream(t.receivedPath)) as ReadableStream, { headers: { 'content-length': String(t.size), 'content-type': 'application/octet-stream', 'repr-digest': `sha-256=:${t.digest}:` } });
  });
  return app;
}
