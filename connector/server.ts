import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ConnectorConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadOrCreateIdentityKey, type IdentityKey } from './identity/keys.ts';
import { buildDidDocument, didWebFromUrl, IDENTITY_KEY_FRAGMENT } from './identity/did-web.ts';
import { createDidResolver } from './identity/did-resolver.ts';
import { openDatabase, type ConnectorDatabase } from './storage/database.ts';
import { metaStore } from './storage/meta-store.ts';
import { createDocumentLoader } from '../vocab/document-loader.ts';
import { createApp } from './app.ts';
import { createServices, type Services } from './services.ts';
import { dspFetchWith } from './http/dsp-client.ts';
import { egressFor } from './egress/connector-egress.ts';
import { MetricsRegistry } from './http/metrics.ts';
import { requestObserver } from './http/middleware.ts';
import { OpenApiRegistry } from './http/openapi.ts';
import { DashboardRegistry } from './dashboard/sections.ts';
import { createOutbox, type OutboxOptions } from './outbox/outbox-worker.ts';
import { outboxStore } from './storage/outbox-store.ts';
import type { ConnectorContext, RawRoute } from './context.ts';
import { createTrustServices } from './trust/trust-services.ts';
import { seenTokenIdStore, walletStore } from './storage/trust-store.ts';
import { createSecretSealer } from './storage/sealed-secrets.ts';
import { listenerUrl, managementUrlOf, notServedHere, servesPath, type Surface } from './http/listeners.ts';
import { withKnownCallers, withKnownParticipants, type PeerIdentityAdapter } from './trust/peer-identity.ts';
import type { ActionHook } from './processing/processor.ts';

export interface RunningConnector {
  ctx: ConnectorContext;
  app: Hono;
  /** The capabilities behind the routes (catalog, negotiations, transfers…), for in-process drivers such as fixtures. */
  services: Services;
  /** The connector's public base URL, e.g. http://127.0.0.1:8701 */
  url: string;
  /** Where the management API and the dashboard answer: `url`, or the separate management listener. */
  managementUrl: string;
  did: string;
  port: number;
  /** Graceful stop: refuse new connections, let in-flight requests finish, stop workers, close the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** How long close() waits for in-flight requests before cutting connections. */
  shutdownTimeoutMs?: number;
  /** Outbox sender tuning (poll interval, back-off), mostly for tests. */
  outbox?: OutboxOptions;
  /** Participants known without DIDs (a conformance fixture's counter-party; see trust/peer-identity.ts). */
  peerIdentity?: PeerIdentityAdapter;
  /** Wraps every control-plane action (a conformance fixture scripts its reactions here; see processing/processor.ts). */
  aroundAction?: ActionHook;
}

export const API_KEY_FILE = 'management-api-key';

/** The management API key: from config, else read from (or generated into) dataDir with mode 0600. */
function loadOrCreateApiKey(config: ConnectorConfig): string {
  if (config.apiKey) return config.apiKey;
  const path = join(config.dataDir, API_KEY_FILE);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Builds everything routes and workers share, once the public URL (hence the DID) is known. */
async function assembleContext(
  config: ConnectorConfig,
  publicUrl: string,
  parts: { logger: Logger; key: IdentityKey; apiKey: string; database: ConnectorDatabase; options: StartOptions },
  shutdownHooks: (() => Promise<void> | void)[],
): Promise<ConnectorContext> {
  const { logger, key, apiKey, database } = parts;
  const { peerIdentity } = parts.options;
  const did = peerIdentity?.participantId ?? didWebFromUrl(publicUrl);
  const meta = metaStore(database.db);
  const previousDid = await meta.get('did');
  if (previousDid && previousDid !== did) logger.warn('the DID changed because the public URL changed', { previousDid, did });
  await meta.set('did', did);
  if (!(await meta.get('first_started_at'))) await meta.set('first_started_at', new Date().toISOString());

  const didResolver = withKnownParticipants(
    createDidResolver({ allowInsecureHttp: config.allowInsecureHttpDids, ttlMs: config.didCacheTtlSeconds * 1000, fetch: egressFor(config) }),
    peerIdentity,
  );
  const metrics = new MetricsRegistry();
  const keyId = `${did}#${IDENTITY_KEY_FRAGMENT}`;
  const documentLoader = createDocumentLoader({ dids: (url) => didResolver.dereference(url) });
  const seenTokenIds = seenTokenIdStore(database.db);
  const trust = withKnownCallers(await createTrustServices({ config, did, keyId, key, didResolver, documentLoader, rememberTokenId: seenTokenIds.remember }), peerIdentity);
  // Every peer request carries a self-issued ID token for its audience.
  const dspFetch = dspFetchWith(async (request) => trust.authorizationFor(request), egressFor(config));
  const sender = `sender-${createHash('sha256')
    .update(`${hostname()}\0${resolve(config.dataDir)}\0${did}`)
    .digest('base64url')
    .slice(0, 16)}`;
  const sealer = createSecretSealer(key.secretKeyMultibase());
  const outbox = createOutbox(
    { store: outboxStore(database.db, database.dialect, sealer), dspFetch, logger, metrics },
    { owner: sender, leaseMs: config.workLeaseSeconds * 1000, ...parts.options.outbox },
  );
  return {
    config: { ...config, publicUrl },
    logger,
    did,
    keyId,
    key,
    didDocument: buildDidDocument(did, key.publicKeyMultibase, publicUrl, config.role, key.p256.publicJwk),
    database,
    meta,
    didResolver,
    documentLoader,
    trust,
    wallet: walletStore(database.db),
    apiKey,
    dspFetch,
    outbox,
    workerId: sender,
    sealer,
    metrics,
    observeRequest: requestObserver(logger, metrics),
    rawRoutes: [],
    openapi: new OpenApiRegistry(),
    dashboard: new DashboardRegistry(),
    onShutdown: (hook) => void shutdownHooks.push(hook),
    ...(peerIdentity ? { peerIdentity } : {}),
    ...(parts.options.aroundAction ? { aroundAction: parts.options.aroundAction } : {}),
  };
}

/** Graceful stop: refuse new connections, run the shutdown hooks (newest first), let requests finish, close the database. */
function shutdown(servers: Server[], database: ConnectorDatabase, logger: Logger, hooks: (() => Promise<void> | void)[], timeoutMs: number) {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      logger.info('connector stopping');
      const stopped = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const server of servers) server.closeIdleConnections();
      const timeout = setTimeout(() => {
        for (const server of servers) server.closeAllConnections();
      }, timeoutMs);
      for (const hook of hooks.reverse()) {
        try {
          await hook();
        } catch (error) {
          logger.error('shutdown hook failed', { error });
        }
      }
      await stopped;
      clearTimeout(timeout);
      await database.close();
      logger.info('connector stopped');
    })());
}

/**
 * Starts one connector: identity key and API key from the data directory, database with migrations,
 * then HTTP. With port 0 the OS picks a free port and the default public URL follows it.
 *
 * @example
 * const connector = await startConnector(loadConfigFile('examples/hospital.json'));
 * console.log(connector.did); // did:web:127.0.0.1%3A8701
 */
export async function startConnector(config: ConnectorConfig, options: StartOptions = {}): Promise<RunningConnector> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, base: { connector: config.name } });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700);
  mkdirSync(config.dataRoot, { recursive: true });
  const { key, created } = loadOrCreateIdentityKey(config.dataDir);
  const apiKey = loadOrCreateApiKey(config);
  const database = await openDatabase(config.database, config.dataDir);

  let handler: Hono | undefined;
  let rawRoutes: RawRoute[] = [];
  const honoListener = getRequestListener((request, env) => (handler ? handler.fetch(request, env) : new Response('Starting', { status: 503 })));
  // Bulk data routes answer on the raw Node request; everything else goes through Hono.
  const listener = (surface: Surface) =>
    createServer((req, res) => {
      if (!servesPath(surface, req.url)) notServedHere(req, res);
      else if (!rawRoutes.some((route) => route(req, res))) void honoListener(req, res);
    });
  const server = listener(config.management ? 'public' : 'all');
  const managementServer = config.management ? listener('management') : undefined;
  const shutdownHooks: (() => Promise<void> | void)[] = [];
  const close = shutdown([server, ...(managementServer ? [managementServer] : [])], database, logger, shutdownHooks, options.shutdownTimeoutMs ?? 10_000);
  let port: number;
  let listening = config; // with the ports the OS picked
  let ctx: ConnectorContext;
  let services: Services;
  try {
    port = await listen(server, config.port, config.host);
    if (managementServer && config.management)
      listening = { ...config, management: { ...config.management, port: await listen(managementServer, config.management.port, config.management.host) } };
    ctx = await assembleContext(listening, config.publicUrl ?? listenerUrl(config.host, port), { logger, key, apiKey, database, options }, shutdownHooks);
    services = createServices(ctx);
    handler = createApp(ctx, services);
    rawRoutes = ctx.rawRoutes;
    ctx.outbox.start();
    ctx.onShutdown(() => ctx.outbox.stop());
  } catch (error) {
    await close();
    throw error;
  }
  logger.info('connector started', {
    role: config.role,
    did: ctx.did,
    publicUrl: ctx.config.publicUrl,
    listen: `${config.host}:${port}`,
    ...(listening.management ? { management: managementUrlOf(ctx.config) } : {}),
    database: database.location,
    identityKey: created ? 'generated' : 'loaded',
    managementKeyFrom: config.apiKey ? 'config' : join(config.dataDir, API_KEY_FILE),
  });
  return { ctx, app: handler, services, url: ctx.config.publicUrl, managementUrl: managementUrlOf(ctx.config), did: ctx.did, port, close };
}
