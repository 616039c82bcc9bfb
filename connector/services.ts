import type { ConnectorContext } from './context.ts';
import { createAuthority } from './trust/authority.ts';
import { fetchCallerCredentials } from './trust/presentation-client.ts';
import { createCatalogService } from './catalog/catalog-service.ts';
import { createCrawler } from './catalog/crawler.ts';
import { createNegotiationService } from './negotiation/negotiation-service.ts';
import { odrlPolicyEngine } from './negotiation/policy-engine.ts';
import { createTransferService } from './transfer/transfer-service.ts';
import { agreementPolicyRefusals, agreementRefusals } from './transfer/enforcement.ts';
import { createJobBoard } from './data-plane/jobs.ts';
import { loadOrCreateReleaseKey } from './identity/release-key.ts';
import { callbackBelongsTo } from './egress/callback-address.ts';
import { dspAddressOf } from './http/dsp-path.ts';
import { connectorAuditTrail } from './audit/connector-trail.ts';
import { signingWith } from '../contracts/credentials/proofs.ts';
import { egressFor } from './egress/connector-egress.ts';
import { AGREEMENT_CREDENTIAL_SERVICE } from '../contracts/negotiation/messages.ts';
import { serviceEndpointOf } from './identity/did-web.ts';
import { negotiationStore } from './storage/negotiation-store.ts';
import { transferStore } from './storage/transfer-store.ts';
import { catalogStore } from './storage/catalog-store.ts';
import { receivedMessageStore, workQueueStore } from './storage/work-queue-store.ts';
import { resumeOffers } from './trust/credential-requests.ts';

/**
 * The composition root of one connector's capabilities: builds each service from the few parts it needs,
 * starts its processors and timers, and registers their shutdown. Routes (app.ts) only wire HTTP to these.
 */
export function createServices(ctx: ConnectorContext) {
  const audit = connectorAuditTrail(ctx);
  const authority = ctx.config.role === 'governance-authority' ? createAuthority(ctx) : undefined;
  const catalog = createCatalogService(ctx);
  const around = ctx.aroundAction ? { around: ctx.aroundAction } : {};
  // Peers may only make this connector call back to (or pull from, or push to) servers they publish themselves.
  const peerOwns = async (did: string, address: string) => !ctx.config.bindPeerAddresses || callbackBelongsTo(address, await ctx.didResolver.resolve(did).catch(() => ({})));
  const negotiations = createNegotiationService({
    did: ctx.did,
    dspUrl: dspAddressOf(ctx.config.publicUrl),
    store: negotiationStore(ctx.database.db),
    queue: workQueueStore(ctx.database.db, ctx.database.dialect, 'negotiations'),
    received: receivedMessageStore(ctx.database.db),
    outbox: ctx.outbox,
    dspFetch: ctx.dspFetch,
    signer: signingWith(ctx.trust.signer, ctx.config.proofCryptosuite),
    documentLoader: ctx.documentLoader,
    resolveDid: (did) => ctx.didResolver.resolve(did),
    peerOwns,
    sealer: ctx.sealer,
    reviewAgreements: ctx.config.reviewAgreements,
    reviewNegotiationSteps: ctx.config.reviewNegotiationSteps,
    requireSignedAgreements: ctx.config.requireSignedAgreements,
    agreementCredentialEndpoint: async (did) => serviceEndpointOf(await ctx.didResolver.resolve(did), AGREEMENT_CREDENTIAL_SERVICE),
    fetchCallerCredentials: (caller, scopes) => fetchCallerCredentials(ctx, caller, scopes),
    offers: catalog.offers,
    policy: odrlPolicyEngine,
    logger: ctx.logger,
    audit,
    metrics: ctx.metrics,
    timeoutMs: 10 * 60_000,
    followUpDelayMs: 100,
    processor: { owner: ctx.workerId, leaseMs: ctx.config.workLeaseSeconds * 1000, concurrency: 32, ...around },
  });
  negotiations.processor.start();
  ctx.onShutdown(() => negotiations.processor.stop());
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
    reviewTransfers: ctx.config.reviewTransfers,
    pullOnStart: ctx.config.pullOnStart,
    audit,
    agreementRefusals: (agreement, healthCategories, transfersDone) => agreementRefusals(ctx, agreement, healthCategories, transfersDone),
    policyRefusals: agreementPolicyRefusals,
    egress: egressFor(ctx.config),
    processor: { owner: ctx.workerId, leaseMs: ctx.config.workLeaseSeconds * 1000, concurrency: 16, ...around },
    releaseKey: loadOrCreateReleaseKey(ctx.config.dataDir),
  });
  transfers.processor.start();
  ctx.onShutdown(() => transfers.processor.stop());
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
  // Credential offers a stopped connector had recorded but not yet requested are requested once it is up.
  const offersResumed = setTimeout(() => void resumeOffers(ctx).catch((error) => ctx.logger.warn('offers not resumed', { error: (error as Error).message })), 1000);
  offersResumed.unref();
  ctx.onShutdown(() => clearTimeout(offersResumed));
  const crawler = createCrawler(ctx, { concurrency: ctx.config.catalogCrawlConcurrency, peerDeadlineMs: ctx.config.catalogCrawlPeerDeadlineSeconds * 1000 });
  crawler.schedule(ctx.config.catalogCrawlIntervalSeconds * 1000);
  return { authority, catalog, negotiations, transfers, jobs, crawler, audit };
}

export type Services = ReturnType<typeof createServices>;
