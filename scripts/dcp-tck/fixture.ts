import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { schemaDatabaseUrl } from '../../connector/storage/database.ts';
import { parseConfig } from '../../connector/config.ts';
import { createLogger, type Logger } from '../../connector/logger.ts';
import { startConnector, type RunningConnector } from '../../connector/server.ts';
import { DSP_PATH } from '../../connector/identity/well-known-routes.ts';
import { DSP_CONTEXT } from '../tck/replay/jsonld.ts';
import { MEMBERSHIP, SENSITIVE_DATA } from './parties.ts';
import { tckDid, type DcpTckSettings } from './settings.ts';

export interface DcpTckFixture {
  /** The credential service and verifier under test (dataspacetck.did.holder = .did.verifier). */
  holder: RunningConnector;
  /** The governance authority as the issuer service under test (dataspacetck.did.issuer). */
  authority: RunningConnector;
  close(): Promise<void>;
}

/**
 * The root URL a connector serves its did:web at: did:web:127.0.0.1%3A9101 → http://127.0.0.1:9101. Plain http,
 * as the TCK resolves DIDs (DidClient without https), also for a name such as host.docker.internal.
 */
function publicUrlOf(did: string | undefined, key: string): string {
  const match = did ? /^did:web:([^:]+)$/.exec(did) : undefined;
  if (!match) throw new Error(`${key} must be a did:web without a path (the connector's DID is its public URL's host and port): ${did}`);
  return `http://${decodeURIComponent(match[1]!)}`;
}

/** Loopback names are served on 127.0.0.1; any other name (a container's view of this machine) on every interface. */
const listenHost = (url: string) => (/^(localhost|127\.\d+\.\d+\.\d+)$/.test(new URL(url).hostname) ? '127.0.0.1' : '0.0.0.0');

const portOf = (url: string) => Number(new URL(url).port || 80);

/**
 * The verifier's trigger endpoint (the DCP TCK README §2.3.1): the TCK POSTs an expanded DSP
 * CatalogRequestMessage with its ID token; the fixture sends the connector's own DSP catalog endpoint that
 * request, as a compact 2025-1 message with the same Authorization header, and answers what it answered:
 * 200 with the catalog when the caller's presentation verified, 401/403 with a CatalogError otherwise.
 */
function triggerHandler(holder: RunningConnector) {
  return async (request: Request): Promise<Response> => {
    if (request.method !== 'POST') return Response.json({ error: 'POST a CatalogRequestMessage' }, { status: 405 });
    const body = (await request.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    const type = body?.['@type'];
    if (type !== 'CatalogRequestMessage' && type !== 'https://w3id.org/dspace/2025/1/CatalogRequestMessage')
      return Response.json({ error: 'the trigger takes a DSP CatalogRequestMessage' }, { status: 400 });
    const headers = new Headers({ 'content-type': 'application/json' });
    const authorization = request.headers.get('authorization');
    if (authorization !== null) headers.set('authorization', authorization);
    const message = { '@context': [DSP_CONTEXT], '@type': 'CatalogRequestMessage' };
    return holder.app.fetch(new Request(`${holder.url}${DSP_PATH}/catalog/request`, { method: 'POST', headers, body: JSON.stringify(message) }));
  };
}

/** The TCK's member: its holder, admitted with a data permit so the authority has both credentials to issue. */
async function admitTckHolder(authority: RunningConnector, holderDid: string, callback: string): Promise<void> {
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${authority.managementUrl}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`the authority refused ${path}: ${response.status} ${await response.text()}`);
  };
  await call('/members', {
    did: holderDid,
    name: 'DCP TCK holder',
    role: 'research-institute',
    dspAddress: `${callback}/dsp/2025-1`,
    headquartersCountry: 'LU',
    legalName: 'DCP TCK',
    registrationNumber: { kind: 'leiCode', value: '222100TESTLEI0000009' },
  });
  await call('/permits', {
    holder: holderDid,
    projectId: 'dcp-tck',
    purposes: ['scientific-research'],
    healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
    validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
}

/**
 * The database of one of the two connectors: SQLite in its data directory, or, on a PostgreSQL server, its own
 * schema (`dcp_tck_<name>`, emptied first) so the two never share tables.
 */
async function databaseFor(database: string, name: 'holder' | 'authority'): Promise<string> {
  if (!/^postgres(ql)?:\/\//.test(database)) return database;
  return schemaDatabaseUrl(database, `dcp_tck_${name}`, { replace: true });
}

function listen(server: Server, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(portOf(url), listenHost(url), () => resolve());
  });
}

/**
 * Starts what the DCP TCK tests: one hospital connector (credential service, STS and verifier) at the
 * holder's DID, the governance authority (issuer service) at the issuer's DID, and the verifier's trigger
 * endpoint. The hospital trusts the TCK's issuer for its two test credential types, signs ES256 and answers
 * with JWT presentations, and its catalog asks every caller for a MembershipCredential (the TCK's scope).
 * The authority signs ES256 and has the TCK's holder as a member.
 */
export async function startDcpTckFixture(settings: DcpTckSettings, options: { dataDir?: string; logger?: Logger; database?: string } = {}): Promise<DcpTckFixture> {
  const logger = options.logger ?? createLogger({ level: 'info', base: { connector: 'dcp-tck-fixture' } });
  if (settings.verifierDid && settings.verifierDid !== settings.holderDid)
    throw new Error('the fixture plays holder and verifier with one connector: set dataspacetck.did.verifier = dataspacetck.did.holder');
  if (!settings.sts || settings.sts.clientSecret.length < 32)
    throw new Error('the fixture needs dataspacetck.sts.url and a client secret of at least 32 characters (the connector API key)');
  const holderUrl = publicUrlOf(settings.holderDid, 'dataspacetck.did.holder');
  const authorityUrl = publicUrlOf(settings.issuerDid, 'dataspacetck.did.issuer');
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hdc-dcp-tck-'));
  const common = {
    dataDir: '',
    logLevel: 'info',
    egress: { allowHttp: true, allowLoopback: true, allowPrivate: true },
    bindPeerAddresses: false,
    catalogCrawlIntervalSeconds: 0,
    // The TCK's DIDs are did:web over plain http at its callback address, whatever its host.
    allowInsecureHttpDids: true,
    // The TCK makes new keys for its parties on every run, under the same DIDs: never reuse a document.
    didCacheTtlSeconds: 0,
    jwtAlgorithm: 'ES256',
  };
  const holder = await startConnector(
    parseConfig({
      ...common,
      name: 'dcp-tck-holder',
      database: await databaseFor(options.database ?? 'sqlite', 'holder'),
      role: 'hospital',
      host: listenHost(holderUrl),
      port: portOf(holderUrl),
      publicUrl: holderUrl,
      dataDir: join(dataDir, 'holder'),
      apiKey: settings.sts.clientSecret,
      presentationFormat: 'jwt',
      trustedIssuers: [{ did: tckDid(settings.callbackAddress, 'issuer'), credentialTypes: [MEMBERSHIP, SENSITIVE_DATA] }],
      catalogRequiredCredentials: [MEMBERSHIP],
    }),
    { logger: logger.child({ connector: 'dcp-tck-holder' }) },
  );
  const closers: (() => Promise<unknown>)[] = [() => holder.close()];
  try {
    const authority = await startConnector(
      parseConfig({
        ...common,
        name: 'dcp-tck-authority',
        database: await databaseFor(options.database ?? 'sqlite', 'authority'),
        role: 'governance-authority',
        host: listenHost(authorityUrl),
        port: portOf(authorityUrl),
        publicUrl: authorityUrl,
        dataDir: join(dataDir, 'authority'),
      }),
      { logger: logger.child({ connector: 'dcp-tck-authority' }) },
    );
    closers.unshift(() => authority.close());
    await admitTckHolder(authority, tckDid(settings.callbackAddress, 'holder'), settings.callbackAddress.href.replace(/\/+$/, ''));
    const trigger = createServer(getRequestListener(triggerHandler(holder)));
    await listen(trigger, settings.triggerEndpoint.href);
    closers.unshift(
      () =>
        new Promise((resolve) => {
          trigger.closeAllConnections();
          trigger.close(resolve);
        }),
    );
    return {
      holder,
      authority,
      async close() {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    throw error;
  }
}
