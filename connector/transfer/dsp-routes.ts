import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ConnectorContext } from '../context.ts';
import { requireCaller } from '../trust/caller-auth.ts';
import { MalformedTransferMessage, parseTransferMessage, transferError, type TransferIncomingType } from '../../contracts/transfer/messages.ts';
import { TransferProblem, type TransferService } from './transfer-service.ts';

/** DSP 2025-1 transfer process endpoints, provider and consumer, on one base path (pids are this side's own). */
export function transferDspRoutes(ctx: ConnectorContext, service: TransferService): Hono {
  const app = new Hono();
  const error = (c: Context, status: ContentfulStatusCode, reasons: string[], pids: { providerPid?: string; consumerPid?: string } = {}) =>
    c.json(transferError({ ...pids, code: String(status), reason: reasons }), status);
  app.use(
    '/transfers/*',
    requireCaller(ctx.trust, (c, reason) => error(c, 401, [reason]), { trustProxy: ctx.config.trustProxy, logger: ctx.logger }),
  );
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
  app.post('/transfers/:pid/suspension', async (c) =>
    reply(c, await service.onPeerMessage(pid(c), 'TransferSuspensionMessage', await body(c, 'TransferSuspensionMessage'), c.get('caller'))),
  );
  app.post('/transfers/:pid/completion', async (c) =>
    reply(c, await service.onPeerMessage(pid(c), 'TransferCompletionMessage', await body(c, 'TransferCompletionMessage'), c.get('caller'))),
  );
  app.post('/transfers/:pid/termination', async (c) =>
    reply(c, await service.onPeerMessage(pid(c), 'TransferTerminationMessage', await body(c, 'TransferTerminationMessage'), c.get('caller'))),
  );
  return app;
}
