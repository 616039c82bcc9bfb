import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { bodyLimit } from 'hono/body-limit';
import { accessLog, apiKeyAuth } from './http/middleware.ts';
import { securityHeaders } from './http/security-headers.ts';
import { HttpProblem, problemResponse } from './http/errors.ts';
import { wellKnownRoutes } from './identity/well-known-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { managementRoutes } from './identity/identity-routes.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { vcApiRoutes } from './trust/vc-api-routes.ts';
import { authorityManagementRoutes, registryRoutes } from './trust/authority-routes.ts';
import { walletManagementRoutes } from './trust/wallet-routes.ts';
import { credentialServiceRoutes } from './trust/credential-service.ts';
import { negotiationDspRoutes } from './negotiation/dsp-routes.ts';
import { negotiationManagementRoutes } from './negotiation/management-routes.ts';
import { catalogDspRoutes } from './catalog/dsp-routes.ts';
import { publicCatalogRoutes } from './catalog/public-routes.ts';
import { catalogManagementRoutes } from './catalog/management-routes.ts';
import { federatedCatalogRoutes } from './catalog/federated-routes.ts';
import { transferDspRoutes } from './transfer/dsp-routes.ts';
import { transferManagementRoutes } from './transfer/management-routes.ts';
import { dataPullRoute, dataPushRoutes } from './data-plane/data-routes.ts';
import type { ConnectorContext } from './context.ts';
import type { Services } from './services.ts';
import { auditManagementRoutes } from './audit/management-routes.ts';
import { agreementCredentialRoutes } from './negotiation/agreement-credential-routes.ts';
import { addCapabilityPanels } from './dashboard/capability-panels.ts';
import { DSP_BASE_PATH } from './http/dsp-path.ts';
import { managementUrlOf } from './http/listeners.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
export const API_VERSION = '0.1.0';

/** Assembles the connector's HTTP surface (see ARCHITECTURE.md, "HTTP surface of one connector"). */
export function createApp(ctx: ConnectorContext, services: Services): Hono {
  const app = new Hono();
  app.use(securityHeaders({ publicUrl: ctx.config.publicUrl }));
  app.use(requestId({ headerName: 'X-Request-Id', generator: () => crypto.randomUUID() }));
  app.use(accessLog(ctx.observeRequest));
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HttpProblem(413, 'payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    },
  });
  // Pushed datasets stream to disk with their digest checked; every other body is small JSON.
  app.use((c, next) => (c.req.method === 'PUT' && c.req.path.startsWith('/data/incoming/') ? next() : limit(c, next)));

  app.route('/', wellKnownRoutes(ctx));
  app.route('/', healthRoutes(ctx));
  app.route('/', dashboardRoutes(ctx));
  const { authority, catalog, negotiations, transfers, jobs, crawler, audit } = services;
  app.route('/', credentialServiceRoutes(ctx));
  app.route('/', vcApiRoutes(ctx, authority));
  if (authority) app.route('/', registryRoutes(ctx, authority));
  app.route('/', publicCatalogRoutes(catalog));
  app.route(DSP_BASE_PATH, catalogDspRoutes(ctx, catalog));
  app.route(DSP_BASE_PATH, negotiationDspRoutes(ctx, negotiations));
  app.route('/', agreementCredentialRoutes(ctx, negotiations));
  app.route(DSP_BASE_PATH, transferDspRoutes(ctx, transfers));
  addCapabilityPanels(ctx, { catalog, negotiations, transfers });
  app.route('/', dataPushRoutes(transfers.dataPlanePorts, jobs));
  ctx.rawRoutes.push(dataPullRoute(transfers.dataPlanePorts, { logger: ctx.logger, observeRequest: ctx.observeRequest }));
  // The API's own description is public; every operation it lists needs the key.
  app.get('/api/openapi.json', (c) => c.json(ctx.openapi.document({ title: `${ctx.config.name} management API`, version: API_VERSION, serverUrl: managementUrlOf(ctx.config) })));
  app.use('/api/*', apiKeyAuth(ctx.apiKey, { trustProxy: ctx.config.trustProxy }));
  app.route('/api', managementRoutes(ctx));
  app.route('/api', walletManagementRoutes(ctx));
  if (authority) app.route('/api', authorityManagementRoutes(ctx, authority));
  app.route('/api', catalogManagementRoutes(ctx, catalog));
  app.route('/api', federatedCatalogRoutes(ctx, crawler));
  app.route('/api', negotiationManagementRoutes(ctx, negotiations));
  app.route('/api', transferManagementRoutes(ctx, transfers));
  app.route('/api', auditManagementRoutes({ trail: audit, openapi: ctx.openapi }));

  app.notFound((c) => problemResponse(c, new HttpProblem(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof HttpProblem) return problemResponse(c, error);
    // Hono's own middleware (csrf) refuses with an HTTPException that carries its response.
    if (error instanceof HTTPException && error.status < 500) return error.getResponse();
    ctx.logger.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, error });
    return problemResponse(c, new HttpProblem(500, 'internal_error', 'Internal error; the request id identifies it in the server log'));
  });
  return app;
}
