import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll } from 'vitest';
import { createIdToken } from '../../contracts/credentials/id-token.ts';
import { buildDidDocument, didWebFromUrl, IDENTITY_KEY_FRAGMENT, type DidDocument } from '../../connector/identity/did-web.ts';
import { encodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';

/**
 * A hostile participant for the security tests: a real HTTP server on a loopback address with its own
 * did:web identity and key, which serves whatever the test makes it serve and records what reaches it.
 */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export interface HostileServer {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const servers = new Set<Server>();
afterAll(async () => {
  await Promise.all(
    [...servers].map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  servers.clear();
});

/** A server on `host` (default 127.0.0.1) answering with `handler`; closed when the test file ends. */
export async function startHostileServer(handler: Handler, host = '127.0.0.1'): Promise<HostileServer> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
    await handler(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  servers.add(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    received,
    close: async () => {
      servers.delete(server);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Attacker extends HostileServer {
  did: string;
  didDocument: DidDocument;
  /** A self-issued ID token for `audience`, signed with the attacker's real key. */
  authorization(audience: string, options?: { accessToken?: string }): Promise<string>;
}

/**
 * A participant whose DID document (at /.well-known/did.json) names `credentialService` as its
 * CredentialService; `routes` answers everything else (DSP callbacks: 200 by default).
 */
export async function startAttacker(options: { credentialService?: string; routes?: Handler } = {}): Promise<Attacker> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyMultibase = encodeMultikey(ED25519_PUBLIC_HEADER, Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  let didDocument: DidDocument | undefined;
  const server = await startHostileServer(async (req, res, body) => {
    if (req.url === '/.well-known/did.json') return void res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(didDocument));
    if (options.routes) return options.routes(req, res, body);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const did = didWebFromUrl(server.url);
  didDocument = buildDidDocument(did, publicKeyMultibase, server.url, 'research-institute');
  if (options.credentialService) {
    didDocument.service = didDocument.service.map((s) => (s.type === 'CredentialService' ? { ...s, serviceEndpoint: options.credentialService! } : s));
  }
  const keyId = `${did}#${IDENTITY_KEY_FRAGMENT}`;
  return {
    ...server,
    did,
    didDocument,
    authorization: async (audience, token = {}) =>
      `Bearer ${await createIdToken({ issuer: did, keyId, privateKey, audience, ...(token.accessToken ? { accessToken: token.accessToken } : {}) })}`,
  };
}

/** A token claiming to be `did` (whose document the test serves, or not), signed with a throw-away key. */
export async function tokenClaiming(did: string, audience: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return `Bearer ${await createIdToken({ issuer: did, keyId: `${did}#${IDENTITY_KEY_FRAGMENT}`, privateKey, audience })}`;
}

/** The peak and current resident set of a process, in bytes (Linux /proc). */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}
