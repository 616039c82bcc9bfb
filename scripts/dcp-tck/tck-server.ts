import type { JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createParty, presentationJwt, type Party, type Role } from './parties.ts';
import { tokenValidator, type Claims } from './tokens.ts';

/** A credential the TCK's credential service holds: its type and the compact JWT. */
export interface HeldCredential {
  type: string;
  jwt: string;
}

/** Answers a PresentationQueryMessage in the TCK's place (Delegates.PresentationQuery): the message to send. */
export type PresentationDelegate = (bearerDid: string) => Promise<Record<string, unknown>>;

/**
 * The TCK's callback server (its CallbackEndpoint and ServiceAssembly handlers): the four parties' DID
 * documents at `/<role>/did.json`, the TCK holder's credential service (`/presentations/query`, the Storage
 * API `/credentials`, the Offer API `/offers`), its issuer's status list at `/statuslist/<id>` and the
 * membership credential schema at `/schema/membership-schema.json`. The state is per scenario (`reset`).
 */
export interface TckServer {
  url: string;
  parties: Record<Role, Party>;
  /** The TCK holder's credentials, as the embedded STS and CredentialServiceImpl keep them. */
  held: HeldCredential[];
  /** CredentialMessages that reached the TCK holder's Storage API with a valid token. */
  received: Record<string, unknown>[];
  /** A read token of the embedded STS for `bearerDid` and `types` (SecureTokenServerImpl#obtainReadToken). */
  readToken(bearerDid: string, types: string[]): string;
  delegate: PresentationDelegate | undefined;
  statusListUrl: string;
  revoked: Set<number>;
  reset(): void;
  close(): Promise<void>;
}

const STATUS_LIST_BITS = 16 * 1024;
const MEMBERSHIP_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  properties: { id: { type: 'string' }, foo: { type: 'string' } },
  required: ['id', 'foo'],
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const send = (res: ServerResponse, status: number, body?: unknown, type = 'application/json') =>
  void res.writeHead(status, body === undefined ? {} : { 'content-type': type }).end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the TCK's Storage API cannot read (CredentialServiceImpl#createCredential maps the `vc` claim onto its
 * VerifiableCredential: issuer a string, credentialSubject one object, credentialStatus and credentialSchema one
 * object each, type a list of strings); its handler then fails with a 500.
 */
function unreadableVc(jwt: string): string | undefined {
  let vc: Claims | undefined;
  try {
    vc = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')).vc;
  } catch {
    return 'the payload is not a JWT';
  }
  if (vc === undefined || vc === null) return undefined;
  if (vc.issuer !== undefined && typeof vc.issuer !== 'string') return 'vc.issuer must be a string';
  if (vc.credentialSubject !== undefined && !isObject(vc.credentialSubject)) return 'vc.credentialSubject must be one object';
  for (const key of ['credentialStatus', 'credentialSchema']) if (vc[key] !== undefined && !isObject(vc[key])) return `vc.${key} must be one object`;
  if (vc.type !== undefined && !(Array.isArray(vc.type) && vc.type.every((t: unknown) => typeof t === 'string'))) return 'vc.type must be a list of strings';
  return undefined;
}

/** The DCP schemas' @context rule: an array of strings that contains the DCP context. */
export const dcpContext = (context: unknown) =>
  Array.isArray(context) && context.every((c) => typeof c === 'string') && context.includes('https://w3id.org/dspace-dcp/v1.0/dcp.jsonld');

/** The Bearer token of a request, as the TCK's handlers read it ("Bearer " then at least two characters). */
function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') && header.length > 8 ? header.slice('Bearer '.length) : undefined;
}

export async function startTckServer(callbackAddress: URL, keys: Partial<Record<Role, JsonWebKey>> = {}): Promise<TckServer> {
  const url = callbackAddress.href.replace(/\/+$/, '');
  const parties = Object.fromEntries((['holder', 'verifier', 'issuer', 'thirdparty'] as const).map((role) => [role, createParty(callbackAddress, role, keys[role])])) as Record<
    Role,
    Party
  >;
  const statusListId = crypto.randomUUID();
  const state = {
    held: [] as HeldCredential[],
    received: [] as Record<string, unknown>[],
    readTokens: new Set<string>(),
    revoked: new Set<number>(),
    delegate: undefined as PresentationDelegate | undefined,
    holderTokens: tokenValidator(parties.holder.did),
  };

  /** PresentationHandler + CredentialServiceImpl#presentationQueryMessage (scope queries). */
  async function presentationQuery(req: IncomingMessage, body: Claims): Promise<[number, unknown?]> {
    if (body.type !== 'PresentationQueryMessage' && body['@type'] !== 'PresentationQueryMessage') return [400];
    const token = bearer(req);
    if (!token) return [401];
    const checked = await state.holderTokens(token);
    if ('failure' in checked) return [401, { failure: checked.failure }];
    if (
      !dcpContext(body['@context']) ||
      (body.scope !== undefined && !(Array.isArray(body.scope) && body.scope.length > 0 && body.scope.every((s: unknown) => typeof s === 'string'))) ||
      (body.scope === undefined && body.presentationDefinition === undefined)
    )
      return [400, { failure: 'Schema validation failed (presentation-query-message-schema.json)' }];
    const bearerDid = checked.claims.iss as string;
    if (state.delegate) return [200, await state.delegate(bearerDid)];
    const accessToken = String(checked.claims.token ?? '');
    if (!state.readTokens.delete(accessToken)) return [401, { failure: 'Token not valid' }];
    const [, boundTo, types] = accessToken.split('::');
    if (boundTo !== bearerDid) return [401, { failure: 'Token binding not valid' }];
    if (body.presentationDefinition && body.scope) return [400];
    const granted = (types ?? '').split(',');
    const requested = ((body.scope ?? []) as string[]).map((s) => /^org\.eclipse\.dspace\.dcp\.vc\.type:(.*):(.*)$/.exec(s)?.[1]);
    if (requested.some((t) => t === undefined)) return [500];
    const credentials = state.held.filter((c) => requested.includes(c.type));
    if (credentials.some((c) => !granted.some((g) => g.startsWith(c.type)))) return [401, { failure: 'Access denied' }];
    const presentation = await presentationJwt(
      parties.holder,
      bearerDid,
      credentials.map((c) => c.jwt),
    );
    return [200, { '@context': ['https://w3id.org/dspace-dcp/v1.0/dcp.jsonld'], type: 'PresentationResponseMessage', presentation: [presentation] }];
  }

  /** CredentialApiHandler + CredentialServiceImpl#writeCredentials: the issuer's token for the TCK holder, then the message. */
  async function storage(req: IncomingMessage, body: Claims, offer: boolean): Promise<[number, unknown?]> {
    const token = bearer(req);
    if (!token) return [401, 'Missing access token'];
    const checked = await state.holderTokens(token);
    if ('failure' in checked) return [401, { failure: checked.failure }];
    if (offer) return body.issuer && Array.isArray(body.credentials) && body.credentials.length > 0 ? [200] : [400];
    if (body.type !== 'CredentialMessage') return [400];
    const valid = ['ISSUED', 'REJECTED'].includes(body.status) && body.issuerPid && body.holderPid && Array.isArray(body.credentials) && body.credentials.length > 0;
    if (!valid) return [400, 'Invalid message'];
    for (const c of body.credentials as { format?: string; payload?: unknown }[]) {
      if (!['vc11-sl2021/jwt', 'vc20-bssl/jwt'].includes(String(c.format)) || typeof c.payload !== 'string') return [500, `Unknown format: ${c.format}`];
      const problem = unreadableVc(c.payload);
      if (problem) return [500, problem];
    }
    state.received.push(body);
    return [201];
  }

  function statusList(): unknown {
    const bits = Buffer.alloc(STATUS_LIST_BITS / 8);
    for (const index of state.revoked) bits[index >> 3]! |= 0x80 >> (index & 7);
    return {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: statusListId,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: parties.issuer.did,
      issuanceDate: new Date().toISOString(),
      credentialSubject: { id: statusListId, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: `u${gzipSync(bits).toString('base64url')}` },
    };
  }

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const text = await readBody(req);
    try {
      const role = /^\/(holder|verifier|issuer|thirdparty)\/did\.json$/.exec(path)?.[1] as Role | undefined;
      if (role && req.method === 'GET') return send(res, 200, parties[role].document, 'application/did+json');
      if (path.startsWith('/statuslist/')) return send(res, 200, statusList());
      if (path === '/schema/membership-schema.json') return send(res, 200, MEMBERSHIP_SCHEMA, 'application/schema+json');
      if (req.method !== 'POST') return send(res, 404);
      let body: Claims;
      try {
        body = JSON.parse(text);
      } catch {
        return send(res, 400, 'Invalid JSON');
      }
      const [status, answer] =
        path === '/presentations/query' ? await presentationQuery(req, body) : path === '/credentials' || path === '/offers' ? await storage(req, body, path === '/offers') : [404];
      if (process.env.DCP_TCK_DEBUG) console.error(`TCK ${req.method} ${path} -> ${status} ${JSON.stringify(answer ?? '')}`);
      send(res, status, answer);
    } catch (error) {
      send(res, 500, { failure: (error as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(callbackAddress.port || 80), callbackAddress.hostname === 'localhost' ? '127.0.0.1' : callbackAddress.hostname, () => resolve());
  });
  return {
    url,
    parties,
    get held() {
      return state.held;
    },
    get received() {
      return state.received;
    },
    readToken(bearerDid, types) {
      const token = `${crypto.randomUUID()}::${bearerDid}::${types.join(',')}`;
      state.readTokens.add(token);
      return token;
    },
    get delegate() {
      return state.delegate;
    },
    set delegate(value) {
      state.delegate = value;
    },
    statusListUrl: `${url}/statuslist/${statusListId}`,
    get revoked() {
      return state.revoked;
    },
    reset() {
      state.held = [];
      state.received = [];
      state.delegate = undefined;
      state.revoked = new Set();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
