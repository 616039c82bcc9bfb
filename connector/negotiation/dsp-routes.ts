import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ConnectorContext } from '../context.ts';
import { requireCaller } from '../trust/caller-auth.ts';
import { contractNegotiationError, MalformedMessageError, parseMessage, type IncomingType } from '../../contracts/negotiation/messages.ts';
import { NegotiationProblem, type NegotiationService } from './negotiation-service.ts';

function errorResponse(c: Context, status: ContentfulStatusCode, reasons: string[], pids: { providerPid?: string; consumerPid?: string } = {}) {
  return c.json(contractNegotiationError({ ...pids, code: String(status), reason: reasons }), status);
}

async function bodyAs<T extends IncomingType>(c: Context, type: T) {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new MalformedMessageError(type, ['the body is not JSON']);
  }
  return parseMessage(type, body);
}

/**
 * DSP 2025-1 contract negotiation endpoints (HTTPS binding), provider and consumer side on one base path:
 * pids are this connector's own, so `/negotiations/:pid/...` finds the negotiation whichever role it plays.
 */
export function negotiationDspRoutes(ctx: ConnectorContext, service: NegotiationService): Hono {
  const app = new Hono();
  app.use(
    '/negotiations/*',
    requireCaller(ctx.trust, (c, reason) => errorResponse(c, 401, [reason]), { trustProxy: ctx.config.trustProxy, logger: ctx.logger }),
  );
  app.onError((error, c) => {
    if (error instanceof NegotiationProblem) return errorResponse(c, error.status, error.reasons, error.pids);
    if (error instanceof MalformedMessageError) return errorResponse(c, 400, [error.message]);
    ctx.logger.error('negotiation endpoint failed', { path: c.req.path, error });
    return errorResponse(c, 500, ['internal error; the request id identifies it in the provider log']);
  });
  const reply = (c: Context, result: { status: 200 | 201; body: unknown }) => (result.body === null ? c.body(null, 200) : c.json(result.body, result.status));
  const pid = (c: Context) => c.req.param('pid')!;

  app.get('/negotiations/:pid', async (c) => reply(c, await service.get(pid(c), c.get('caller'))));
  // provider side
  app.post('/negotiations/request', async (c) => {
    const msg = await bodyAs(c, 'ContractRequestMessage');
    if (msg.providerPid) throw new NegotiationProblem(400, ['an initial request carries no providerPid; send a counter-request to /negotiations/:providerPid/request'], msg);
    return reply(c, await service.onContractRequest(msg, c.get('caller')));
  });
  app.post('/negotiations/:pid/request', async (c) => {
    const msg = await bodyAs(c, 'ContractRequestMessage');
    if (msg.providerPid !== pid(c)) throw new NegotiationProblem(400, ['providerPid must be the negotiation in the path'], msg);
    return reply(c, await service.onContractRequest(msg, c.get('caller')));
  });
  app.post('/negotiations/:pid/agreement/verification', async (c) =>
    reply(c, await service.onVerification(pid(c), await bodyAs(c, 'ContractAgreementVerificationMessage'), c.get('caller'))),
  );
  // consumer side
  app.post('/negotiations/offers', async (c) => reply(c, await service.onInitialOffer(await bodyAs(c, 'ContractOfferMessage'), c.get('caller'))));
  app.post('/negotiations/:pid/offers', async (c) => reply(c, await service.onOffer(pid(c), await bodyAs(c, 'ContractOfferMessage'), c.get('caller'))));
  app.post('/negotiations/:pid/agreement', async (c) => reply(c, await service.onAgreement(pid(c), await bodyAs(c, 'ContractAgreementMessage'), c.get('caller'))));
  // both
  app.post('/negotiations/:pid/events', async (c) => reply(c, await service.onEvent(pid(c), await bodyAs(c, 'ContractNegotiationEventMessage'), c.get('caller'))));
  app.post('/negotiations/:pid/termination', async (c) => reply(c, await service.onTermination(pid(c), await bodyAs(c, 'ContractNegotiationTerminationMessage'), c.get('caller'))));
  return app;
}
