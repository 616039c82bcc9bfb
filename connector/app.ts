import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { bodyLimit } from 'hono/body-limit';
import { accessLog, apiKeyAuth } from './http/middleware.ts';
import { securityHeaders } from './http/security-headers.ts';
import { HttpProblem, problemResponse } from './http/errors.ts';
import { wellKnownRoutes } from './routes/well-known.ts';
import { healthRoutes } from './routes/health.ts';
import { managementRoutes } from './routes/management.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { vcApiRoutes } from './routes/vc-api.ts';
import { authorityManagementRoutes, registryRoutes } from './routes/authority.ts';
import { walletManagementRoutes } from './routes/wallet.ts';
import { credentialServiceRoutes } from './trust/credential-service.ts';
import { createAuthority } from './trust/authority.ts';
import { createNegotiationService } from './negotiation/negotiation-service.ts';
import { negotiationDspRoutes } from './negotiation/dsp-routes.ts';
import { negotiationManagementRoutes } from './negotiation/management-routes.ts';
import { odrlPolicyEngine } from './negotiation/policy-engine.ts';
import { negotiationStore } from './storage/negotiation-store.ts';
import { receivedMessageStore, workQueueStore } from './storage/work-queue-store.ts';
import { fetchCallerCredentials } from './trust/presentation-client.ts';
import { createCatalogService } from './catalog/catalog-service.ts';
import { catalogDspRoutes } from './catalog/dsp-routes.ts';
import { publicCatalogRoutes } from './catalog/public-routes.ts';
import { catalogManagementRoutes } from './catalog/management-routes.ts';
import { createCrawler } from './catalog/crawler.ts';
import { federatedCatalogRoutes } from './catalog/federated-routes.ts';
import { createTransferService } from './transfer/transfer-service.ts';
import { transferDspRoutes } from './transfer/dsp-routes.ts';
import { transferManagementRoutes } from './transfer/management-routes.ts';
import { agreementRefusals } from './transfer/enforcement.ts';
import { dataPullRoute, dataPushRoutes } from './data-plane/data-routes.ts';
import { createJobBoard } from './data-plane/jobs.ts';
import { callbackBelongsTo } from './egress/callback-address.ts';
import { transferStore } from './storage/transfer-store.ts';
import { catalogStore } from './storage/catalog-store.ts';
import type { ConnectorContext } from './context.ts';
import { addCapabilityPanels } from './dashboard/capability-panels.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
export const API_VERSION = '0.1.0';

/** Assembles the connector's HTTP surface (see ARCHITECTURE.md, "HTTP surface of one connector"). */
export function createApp(ctx: ConnectorContext): Hono {
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
  const authority = ctx.config.role === 'governance-authority' ? createAuthority(ctx) : undefined;
  app.route('/', credentialServiceRoutes(ctx));
  app.route('/', vcApiRoutes(ctx, authority));
  if (authority) app.route('/', registryRoutes(ctx, authority));
  const catalog = createCatalogService(ctx);
  ctx.offers = catalog.offers;
  app.route('/', publicCatalogRoutes(catalog));
  app.route('/dsp/2025-1', catalogDspRoutes(ctx, catalog));
  // Peers may only make this connector call back to (or pull from, or push to) servers they publish themselves.
  const peerOwns = async (did: string, address: string) => !ctx.config.bindPeerAddresses || callbackBelongsTo(address, await ctx.didResolver.resolve(did).catch(() => ({})));
  const negotiations = createNegotiationService({
    did: ctx.did,
    dspUrl: `${ctx.config.publicUrl}/dsp/2025-1`,
    store: negotiationStore(ctx.database.db),
    queue: workQueueStore(ctx.database.db, ctx.database.dialect, 'negotiations'),
    received: receivedMessageStore(ctx.database.db),
    outbox: ctx.outbox,
    dspFetch: ctx.dspFetch,
    signer: ctx.trust.signer,
    documentLoader: ctx.documentLoader,
    resolveDid: (did) => ctx.didResolver.resolve(did),
    peerOwns,
    sealer: ctx.sealer,
    fetchCallerCredentials: (caller, scopes) => fetchCallerCredentials(ctx, caller, scopes),
    offers: catalog.offers,
    policy: odrlPolicyEngine,
    logger: ctx.logger,
    metrics: ctx.metrics,
    timeoutMs: 10 * 60_000,
    followUpDelayMs: 100,
    processor: { owner: ctx.workerId },
  });
  negotiations.processor.start();
  ctx.onShutdown(() => negotiations.processor.stop());
  app.route('/dsp/2025-1', negotiationDspRoutes(ctx, negotiations));
  const jobs = createJobBoard();
  const transfers = createTransferService({
    did: ctx.did,
    publicUrl: ctx.config.publicUrl,
    dataRoot: ctx.config.dataRoot,
    dataDir: ctx.config.dataDir,
    store: transferStore(ctx.database.db),
    agreements: negotiationStore(ctx.database.db),
    datasets: catalogStore(ctx.database.db),
    received: receivedMessageStore(ctx.database.db),
    queue: workQueueStore(ctx.database.db, ctx.database.dialect, 'transfers'),
    outbox: ctx.outbox,
    dspFetch: ctx.dspFetch,
    logger: ctx.logger,
    metrics: ctx.metrics,
    jobs,
    peerOwns,
    agreementRefusals: (agreement, healthCategories, transfersDone) => agreementRefusals(ctx, agreement, healthCategories, transfersDone),
    processor: { owner: ctx.workerId, concurrency: 16 },
  });
  transfers.processor.start();
  ctx.onShutdown(() => transfers.processor.stop());
  app.route('/dsp/2025-1', transferDspRoutes(ctx, transfers));
  addCapabilityPanels(ctx, { catalog, negotiations, transfers });
  app.route('/', dataPushRoutes(transfers.dataPlanePorts, jobs));
  ctx.rawRoutes.push(dataPullRoute(transfers.dataPlanePorts, { logger: ctx.logger, observeRequest: ctx.observeRequest }));
  const runEnforcement = () => void transfers.enforce().catch((error) => ctx.logger.error('transfer enforcement failed', { error }));
  const enforcement = setInterval(runEnforcement, ctx.config.enforcementIntervalSeconds * 1000);
  enforcement.unref();
  // Soon after a (re)start too: lapsed agreements end without waiting an interval.
  const firstEnforcement = setTimeout(runEnforcement, 500);
  firstEnforcement.unref();
  ctx.onShutdown(() => {
    clearTimeout(firstEnforcement);
    clearInterval(enforcement);
    jobs.cancelAll();
  });
  const expiry = setInterval(() => void negotiations.expireOverdue().catch((error) => ctx.logger.error('negotiation expiry failed', { error })), 5000);
  expiry.unref();
  ctx.onShutdown(() => clearInterval(expiry));
  // The API's own description is public; every operation it lists needs the key.
  app.get('/api/openapi.json', (c) => c.json(ctx.openapi.document({ title: `${ctx.config.name} management API`, version: API_VERSION, serverUrl: ctx.config.publicUrl })));
  app.use('/api/*', apiKeyAuth(ctx.apiKey, { trustProxy: ctx.config.trustProxy }));
  app.route('/api', managementRoutes(ctx));
  app.route('/api', walletManagementRoutes(ctx));
  if (authority) app.route('/api', authorityManagementRoutes(ctx, authority));
  app.route('/api', catalogManagementRoutes(ctx, catalog));
  const crawler = createCrawler(ctx);
  crawler.schedule(ctx.config.catalogCrawlIntervalSeconds * 1000);
  app.route('/api', federatedCatalogRoutes(ctx, crawler));
  app.route('/api', negotiationManagementRoutes(ctx, negotiations));
  app.route('/api', transferManagementRoutes(ctx, transfers));

  app.notFound((c) => problemResponse(c, new HttpProblem(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`)));
  app.onError((error, c) => {
    if (error instanceof HttpProblem) return problemResponse(c, error);
    ctx.logger.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, error });
    return problemResponse(c, new HttpProblem(500, 'internal_error', 'Internal error; the request id identifies it in the server log'));
  });
  return app;
}
