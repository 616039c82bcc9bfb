import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Hono, type Context } from 'hono';
import type { RawRoute } from '../context.ts';
import type { Logger } from '../logger.ts';
import type { AnsweredRequest } from '../http/middleware.ts';
import { HttpProblem } from '../http/errors.ts';
import type { JobBoard } from './jobs.ts';
import type { Payload } from './payload.ts';
import { payloadDigest } from './payload.ts';
import { IntegrityError } from './pull.ts';
import { PayloadUnavailableError, RELEASE_REPORT_HEADER } from './release-payload.ts';
import { receiveToFile } from './push.ts';
import { parseDigest, planServe, writePayload } from './serve.ts';
import { tokenMatches } from './tokens.ts';

/** The access grant the control plane gave a transfer at start: what a request must present, in which state. */
export interface AccessGrant {
  tokenHash: string | null;
  expiresAt: string | null;
  /** The transfer is STARTED (data may move) or not. */
  state: string;
}

/**
 * The data plane's only view of the control plane. It checks the grant itself and asks one narrow question
 * per pull; it never changes a transfer's state, it reports.
 */
export interface DataPlanePorts {
  /** Provider: the grant of a transfer this connector serves, with its payload. */
  servedGrant(transferId: string): Promise<(AccessGrant & { payload(): Promise<Payload> }) | undefined>;
  /** "May this pull proceed": the agreement still stands. The reasons against; [] = yes. */
  mayProceed(transferId: string): Promise<string[]>;
  /** A pull was refused for these reasons (the control plane ends the transfer). */
  refused(transferId: string, reasons: string[]): Promise<void>;
  /** Consumer: the grant of a push this connector receives, and where the data goes. */
  receivingGrant(transferId: string): Promise<(AccessGrant & { destination(name: string): string }) | undefined>;
  /** Consumer: a push arrived whole and digest-checked. */
  received(transferId: string, result: { path: string; size: number; digest: string; releaseReport: string | undefined }): Promise<void>;
}

const validToken = (grant: AccessGrant, presented: string | undefined) =>
  tokenMatches(presented, grant.tokenHash) && !!grant.expiresAt && Date.parse(grant.expiresAt) >= Date.now();
const bearer = (header: string | undefined) => header?.replace(/^Bearer\s+/i, '');
const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'agreement_refused', 404: 'not_found', 409: 'invalid_state' };

/**
 * The pull endpoint, GET (or HEAD) /data/:id, answered on the raw Node request so bytes go from disk to
 * socket with no web-stream layer: the holder of the transfer's token gets the payload (or a range of it)
 * once the control plane says the agreement still allows it. Errors carry the management API's error body.
 */
export function dataPullRoute(ports: DataPlanePorts, deps: { logger: Logger; observeRequest(answered: AnsweredRequest): void }): RawRoute {
  const problem = (res: ServerResponse, status: number, message: string, requestId: string) => {
    const body = JSON.stringify({ error: { code: CODES[status] ?? 'internal_error', message }, requestId });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="data-plane"' } : {}),
    });
    res.end(body);
  };
  async function answer(req: IncomingMessage, res: ServerResponse, id: string, requestId: string): Promise<void> {
    const grant = await ports.servedGrant(id);
    if (!grant) return problem(res, 404, 'no such transfer', requestId);
    if (!validToken(grant, bearer(req.headers.authorization))) return problem(res, 401, 'a valid, unexpired transfer token is required', requestId);
    if (grant.state !== 'STARTED') return problem(res, 409, `the transfer is ${grant.state}`, requestId);
    const refused = await ports.mayProceed(id);
    if (refused.length > 0) {
      await ports.refused(id, refused);
      return problem(res, 403, refused.join('; '), requestId);
    }
    let payload: Payload;
    try {
      payload = await grant.payload();
    } catch (error) {
      // The control plane ended the transfer: its bytes can no longer be produced as they were announced.
      if (error instanceof PayloadUnavailableError) return problem(res, 409, error.message, requestId);
      throw error;
    }
    const range = req.headers.range;
    deps.logger.info('data pull', { transfer: id, range: range ?? 'all' });
    const plan = planServe(payload, await payloadDigest(payload), range);
    plan.headers['x-request-id'] = requestId;
    await writePayload(res, payload, plan, req.method === 'HEAD');
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
      problem(res, 404, 'no such transfer', requestId);
      return true;
    }
    answer(req, res, id, requestId)
      .catch((error) => {
        if (res.headersSent) {
          // The consumer went away or the source failed mid-body: the cut shows as a short body, and a resumed pull continues it.
          deps.logger.warn('data pull interrupted', { transfer: id, reason: (error as Error).message });
          res.destroy();
        } else {
          deps.logger.error('data pull failed', { requestId, transfer: id, error });
          problem(res, 500, 'Internal error; the request id identifies it in the server log', requestId);
        }
      })
      .finally(() =>
        deps.observeRequest({ requestId, method: req.method!, path: '/data/:id', route: '/data/:id', status: res.statusCode, seconds: (performance.now() - started) / 1000 }),
      );
    return true;
  };
}

/** PUT /data/incoming/:id receives a push for one of this consumer's transfers. */
export function dataPushRoutes(ports: DataPlanePorts, jobs: JobBoard): Hono {
  const app = new Hono();
  app.put('/data/incoming/:id', async (c: Context) => {
    const id = c.req.param('id')!;
    const grant = await ports.receivingGrant(id);
    if (!grant) throw new HttpProblem(404, 'not_found', 'no such push transfer');
    if (!validToken(grant, bearer(c.req.header('authorization')))) throw new HttpProblem(401, 'unauthorized', 'a valid push token is required');
    if (grant.state !== 'REQUESTED' && grant.state !== 'STARTED') throw new HttpProblem(409, 'invalid_state', `the transfer is ${grant.state}`);
    const digest = parseDigest(c.req.header('repr-digest') ?? c.req.header('content-digest'));
    if (!digest || !c.req.raw.body) throw new HttpProblem(400, 'invalid_request', 'a push needs a body and a Repr-Digest (sha-256)');
    const name = /filename="([^"]+)"/.exec(c.req.header('content-disposition') ?? '')?.[1] ?? 'data';
    const destination = grant.destination(name);
    const length = c.req.header('content-length');
    const total = length ? Number(length) : null;
    try {
      const result = await receiveToFile(Readable.fromWeb(c.req.raw.body as NodeReadableStream), digest, total ?? undefined, destination, (bytes) =>
        jobs.report(id, { bytes, total, bytesPerSecond: 0 }),
      );
      await ports.received(id, { path: destination, size: result.size, digest: result.digest, releaseReport: c.req.header(RELEASE_REPORT_HEADER) });
      return c.json({ received: result.size });
    } catch (error) {
      if (error instanceof IntegrityError) throw new HttpProblem(400, 'integrity', error.message);
      throw error;
    }
  });
  return app;
}
