import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody, parseQuery } from '../http/openapi.ts';
import { TRANSFER_FORMATS } from '../../contracts/transfer/messages.ts';
import { TRANSFER_STATES } from '../../contracts/transfer/state-machine.ts';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import { fileSize } from '../data-plane/push.ts';
import { TransferProblem, type TransferService } from './transfer-service.ts';
import { ReleaseReportSchema } from './release-report.ts';
import { awaitsApproval } from './transfer-actions.ts';

const StartTransfer = z.strictObject({ agreementId: z.string().min(1), format: z.enum(TRANSFER_FORMATS).default('HttpData-PULL') });
const Reason = z.strictObject({ reason: z.string().min(1).max(500) });
const ListQuery = z.object({ role: z.enum(['provider', 'consumer']).optional(), state: z.enum(TRANSFER_STATES).optional(), agreementId: z.string().optional() });
const TransferView = z.object({
  id: z.string(),
  role: z.string(),
  state: z.string(),
  consumerPid: z.string().nullable(),
  providerPid: z.string().nullable().describe("The provider's pid (null on a consumer until the provider answered the request)"),
  agreementId: z.string(),
  datasetId: z.string(),
  format: z.string(),
  counterpartyDid: z.string(),
  size: z.number().nullable(),
  digest: z.string().nullable(),
  digestVerified: z
    .boolean()
    .nullable()
    .describe("Consumer: true when the data matched the provider's Repr-Digest; false when the provider sent none and the digest was only computed here"),
  pending: z.enum(['approval']).nullable().describe('Provider: approval, a request held for the operator (reviewTransfers) until approved or terminated'),
  progress: z.unknown(),
  receivedPath: z.string().nullable(),
  deletedAt: z.string().nullable(),
  reasons: z.array(z.string()),
  release: ReleaseReportSchema.nullable().describe(
    'The release report of a released transfer (counts only): stored at start by the provider, received with the data by the consumer',
  ),
});

/** Management API: start, list, inspect, approve, pull, suspend, resume, complete and terminate transfers; download what was received. */
export function transferManagementRoutes(ctx: ConnectorContext, service: TransferService): Hono {
  const app = new Hono();
  const tag = 'transfers';
  const view = (t: Transfer) => ({
    id: t.id,
    role: t.role,
    state: t.state,
    consumerPid: t.consumerPid,
    providerPid: t.providerPid,
    agreementId: t.agreementId,
    datasetId: t.datasetId,
    format: t.format,
    counterpartyDid: t.counterpartyDid,
    size: t.size,
    digest: t.digest,
    digestVerified: t.digestVerified,
    pending: awaitsApproval(t) ? ('approval' as const) : null,
    progress: service.jobs.progress(t.id) ?? { bytes: t.bytesDone, total: t.size, bytesPerSecond: 0 },
    receivedPath: t.receivedPath,
    completedAt: t.completedAt,
    deletedAt: t.deletedAt,
    reasons: t.reasons,
    release: t.release,
  });
  ctx.openapi.add(
    {
      method: 'post',
      path: '/transfers',
      tag,
      summary: 'Start a transfer under an agreement (HttpData-PULL or HttpData-PUSH)',
      body: StartTransfer,
      responses: { 201: { description: 'REQUESTED', schema: TransferView }, 404: { description: 'Unknown agreement' } },
    },
    {
      method: 'get',
      path: '/transfers',
      tag,
      summary: 'Transfers, newest first',
      query: ListQuery,
      responses: { 200: { description: 'Transfers', schema: z.object({ transfers: z.array(TransferView) }) } },
    },
    {
      method: 'get',
      path: '/transfers/{id}',
      tag,
      summary: 'One transfer with its progress (bytes, rate)',
      responses: { 200: { description: 'The transfer', schema: TransferView }, 404: { description: 'Unknown' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/approve',
      tag,
      summary: 'Provider: release a request held for review (reviewTransfers); it starts (agreement checked, data measured, consumer told)',
      responses: { 200: { description: 'Approved; STARTED shortly', schema: TransferView }, 409: { description: 'Not held for review' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/pull',
      tag,
      summary: 'Consumer: pull the data of a started transfer that waits for it (pullOnStart off)',
      responses: { 200: { description: 'Pulling; COMPLETED once the data arrived', schema: TransferView }, 409: { description: 'Not a waiting pull' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/suspend',
      tag,
      summary: 'Suspend a started transfer',
      body: Reason,
      responses: { 200: { description: 'SUSPENDED', schema: TransferView }, 409: { description: 'Not started' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/resume',
      tag,
      summary: 'Resume a suspended transfer',
      responses: { 200: { description: 'STARTED', schema: TransferView }, 409: { description: 'Not suspended' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/complete',
      tag,
      summary: 'Complete a started transfer (the peer is told)',
      responses: { 200: { description: 'COMPLETED', schema: TransferView }, 409: { description: 'Not started' } },
    },
    {
      method: 'post',
      path: '/transfers/{id}/terminate',
      tag,
      summary: 'Terminate a transfer',
      body: Reason,
      responses: { 200: { description: 'TERMINATED', schema: TransferView }, 409: { description: 'Already final' } },
    },
    {
      method: 'get',
      path: '/transfers/{id}/data',
      tag,
      summary: 'Download the data this consumer received (complete and digest-checked only)',
      responses: { 200: { description: 'The data', contentType: 'application/octet-stream' }, 404: { description: 'Nothing received' } },
    },
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
  app.post('/transfers/:id/approve', async (c) => c.json(found(await guarded(() => service.approve(c.req.param('id'))), c.req.param('id'))));
  app.post('/transfers/:id/pull', async (c) => c.json(found(await guarded(() => service.pull(c.req.param('id'))), c.req.param('id'))));
  app.post('/transfers/:id/resume', async (c) => c.json(found(await guarded(() => service.resume(c.req.param('id'))), c.req.param('id'))));
  app.post('/transfers/:id/complete', async (c) => c.json(found(await guarded(() => service.complete(c.req.param('id'))), c.req.param('id'))));
  app.post('/transfers/:id/terminate', async (c) => {
    const { reason } = await parseJsonBody(c, Reason);
    return c.json(found(await guarded(() => service.terminate(c.req.param('id'), reason)), c.req.param('id')));
  });
  app.get('/transfers/:id/data', async (c) => {
    const t = await service.store.get(c.req.param('id'));
    if (t?.role !== 'consumer' || t.state !== 'COMPLETED' || !t.receivedPath || t.deletedAt || fileSize(t.receivedPath) !== t.size)
      throw new HttpProblem(404, 'not_found', 'No complete, digest-checked data for this transfer');
    return new Response(Readable.toWeb(createReadStream(t.receivedPath)) as ReadableStream, {
      headers: { 'content-length': String(t.size), 'content-type': 'application/octet-stream', 'repr-digest': `sha-256=:${t.digest}:` },
    });
  });
  return app;
}
