import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { parseConfig } from '../../connector/config.ts';
import { createLogger, type Logger } from '../../connector/logger.ts';
import { startConnector, type RunningConnector } from '../../connector/server.ts';
import { DSP_PATH } from '../../connector/identity/well-known-routes.ts';
import type { PeerIdentityAdapter } from '../../connector/trust/peer-identity.ts';
import type { TransferFormat } from '../../contracts/transfer/messages.ts';
import type { MessageOffer } from '../../contracts/negotiation/messages.ts';
import { createReactor, type Reactor } from './reactor.ts';
import { seedTck } from './seed.ts';
import { TCK_PARTICIPANT, type TckSettings } from './settings.ts';

export interface TckFixture {
  connector: RunningConnector;
  close(): Promise<void>;
}

/** The TCK's constant Authorization value stands for TCK_PARTICIPANT; nothing else is known without a DID. */
function tckIdentity(settings: TckSettings): PeerIdentityAdapter {
  if (!settings.authorization) throw new Error('the fixture needs dataspacetck.dsp.connector.http.headers.authorization (the TCK then sends it on every request)');
  return {
    participantId: settings.agentId,
    authenticate: (authorization) => (authorization === settings.authorization ? { did: TCK_PARTICIPANT, tokenId: '' } : undefined),
    knows: (participant) => participant === TCK_PARTICIPANT,
  };
}

const trimmed = (path: string) => path.replace(/\/+$/, '');
const hostPort = (url: URL) => `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;

/** The TCK's trigger calls: start a negotiation or a transfer with TCK_PARTICIPANT at connectorAddress. */
async function trigger(kind: 'negotiation' | 'transfer', body: Record<string, string>, connector: RunningConnector, reactor: Reactor): Promise<Response> {
  const { negotiations, transfers } = connector.services;
  const address = String(body.connectorAddress ?? '');
  if (!/^https?:\/\//.test(address)) return Response.json({ error: 'connectorAddress must be an http(s) URL' }, { status: 400 });
  if (kind === 'negotiation') {
    const offer = { '@type': 'Offer', '@id': body.offerId, target: body.datasetId, assigner: body.providerId, permission: [{ action: 'use' }] } as MessageOffer;
    const n = await negotiations.start({ providerDid: body.providerId ?? TCK_PARTICIPANT, providerAddress: address, offer });
    reactor.watchNegotiation(n.id, String(body.datasetId));
    return Response.json({ negotiationId: n.id });
  }
  const t = await transfers.start({ agreementId: String(body.agreementId), format: (body.format ?? 'HttpData-PULL') as TransferFormat, providerAddress: address });
  reactor.watchTransfer(t.id, String(body.agreementId));
  return Response.json({ transferId: t.id });
}

/**
 * Serves the connector where the TCK looks for it: `/.well-known/dspace-version` under http.base.url,
 * the DSP endpoints under http.url (rewritten onto the connector's own paths), the two triggers at their
 * paths, and the fixture's `/health`; everything else (our own callback addresses) goes to the connector.
 */
function frontHandler(settings: TckSettings, connector: RunningConnector, reactor: Reactor, ready: () => boolean) {
  const dspPrefix = trimmed(settings.httpUrl.pathname);
  const basePrefix = trimmed(settings.baseUrl.pathname);
  const triggers = new Map([
    [`${hostPort(settings.negotiationTrigger)}${trimmed(settings.negotiationTrigger.pathname)}`, 'negotiation' as const],
    [`${hostPort(settings.transferTrigger)}${trimmed(settings.transferTrigger.pathname)}`, 'transfer' as const],
  ]);
  return async (request: Request, listening: string): Promise<Response> => {
    const url = new URL(request.url);
    const path = trimmed(url.pathname) || '/';
    if (path === '/health') return ready() ? Response.json({ status: 'ok' }) : Response.json({ status: 'starting' }, { status: 503 });
    const kind = triggers.get(`${listening}${path}`);
    if (kind && request.method === 'POST') {
      const body = (await request.json().catch(() => undefined)) as Record<string, string> | undefined;
      if (!body || typeof body !== 'object') return Response.json({ error: 'a JSON object is required' }, { status: 400 });
      return trigger(kind, body, connector, reactor).catch((error: Error) => Response.json({ error: error.message }, { status: 400 }));
    }
    let target = url.pathname;
    if (path === `${basePrefix}/.well-known/dspace-version`)
      return versionMetadata(connector, dspPrefix.startsWith(`${basePrefix}/`) ? dspPrefix.slice(basePrefix.length) : dspPrefix);
    if (dspPrefix !== DSP_PATH && (url.pathname === dspPrefix || url.pathname.startsWith(`${dspPrefix}/`))) target = DSP_PATH + url.pathname.slice(dspPrefix.length);
    const init: RequestInit & { duplex?: string } = { method: request.method, headers: request.headers };
    if (request.method !== 'GET' && request.method !== 'HEAD') Object.assign(init, { body: await request.arrayBuffer() });
    return connector.app.fetch(new Request(new URL(target + url.search, url.origin), init));
  };
}

/** The connector's version metadata, its 2025-1 path where the fixture serves DSP (relative to the base URL, as EDC's). */
async function versionMetadata(connector: RunningConnector, path: string): Promise<Response> {
  const metadata = (await (await connector.app.fetch(new Request(`${connector.url}/.well-known/dspace-version`))).json()) as { protocolVersions: { path: string }[] };
  return Response.json({ ...metadata, protocolVersions: metadata.protocolVersions.map((v) => ({ ...v, path })) });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Listens at the URL's host and port; a host name that is not this machine's (host.docker.internal, a
 * container name the TCK uses to reach us) means every interface on that port.
 */
async function listenOn(server: Server, url: URL): Promise<void> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  try {
    await listen(server, port, host);
  } catch (error) {
    if (!['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await listen(server, port, '0.0.0.0');
  }
}

/**
 * Starts the connector for a TCK run: configured from the TCK's properties, its participant id the
 * agent id, the TCK's Authorization header as participant TCK_PARTICIPANT, the scenarios' ids seeded
 * and their reactions scripted; listening where the properties say (base URL, triggers).
 */
export async function startTckFixture(settings: TckSettings, options: { dataDir?: string; logger?: Logger; database?: string } = {}): Promise<TckFixture> {
  const logger = options.logger ?? createLogger({ level: 'info', base: { connector: 'tck-fixture' } });
  const reactor = createReactor(settings, logger);
  const config = parseConfig({
    name: 'tck-fixture',
    role: 'hospital',
    port: 0,
    publicUrl: settings.baseUrl.origin,
    dataDir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'hdc-tck-')),
    database: options.database ?? 'sqlite',
    logLevel: 'info',
    // The TCK (and its callback server) may be anywhere the properties say, e.g. in a container.
    egress: { allowHttp: true, allowLoopback: true, allowPrivate: true },
    bindPeerAddresses: false,
    reviewAgreements: true,
    catalogCrawlIntervalSeconds: 0,
  });
  const connector = await startConnector(config, { logger, peerIdentity: tckIdentity(settings), aroundAction: reactor.aroundAction, outbox: { pollMs: 50 } });
  reactor.attach(connector.services);
  let ready = false;
  const handle = frontHandler(settings, connector, reactor, () => ready);
  const servers: Server[] = [];
  try {
    const origins = new Map([settings.baseUrl, settings.httpUrl, settings.negotiationTrigger, settings.transferTrigger].map((u) => [hostPort(u), u]));
    for (const [listening, url] of origins) {
      const server = createServer(getRequestListener((request) => handle(request, listening)));
      await listenOn(server, url);
      servers.push(server);
    }
    await seedTck(connector, settings);
  } catch (error) {
    for (const server of servers) server.close();
    await connector.close();
    throw error;
  }
  ready = true;
  return {
    connector,
    async close() {
      reactor.stop();
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      await connector.close();
    },
  };
}
