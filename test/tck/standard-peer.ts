import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RunningConnector } from '../../connector/server.ts';
import { AGREEMENT_CREDENTIAL_SERVICE } from '../../contracts/negotiation/messages.ts';
import type { Forward } from '../../scripts/tck/replay/callbacks.ts';

/**
 * A standard DSP peer's identity for the TCK replay: its did:web key, DID document and DCP credential
 * service are those of `identity` (a connector of ours whose public URL is the replay's callback address),
 * served through the replay's callback server. The DID document lists no AgreementCredentialService: the
 * peer has no extension of ours, so our connectors exchange only plain DSP with it.
 */
export function peerIdentityForward(identity: RunningConnector): Forward {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const url = `http://127.0.0.1:${identity.port}${req.url ?? '/'}`;
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'host' && name !== 'content-length')) as Record<string, string>;
    const answer = await fetch(url, { method: req.method ?? 'GET', headers, ...(body.length > 0 ? { body } : {}) });
    let text = await answer.text();
    if ((req.url ?? '').startsWith('/.well-known/did.json')) {
      const doc = JSON.parse(text) as { service: { type: string }[] };
      text = JSON.stringify({ ...doc, service: doc.service.filter((s) => s.type !== AGREEMENT_CREDENTIAL_SERVICE) });
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
  };
}

/** The forward alone on `port`, while the peer is onboarded (the authority resolves its DID); closed before the replay listens there. */
export async function serveIdentity(forward: Forward, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await forward(req, res, Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** The peer's Authorization header for a request to `url`: a self-issued ID token for the connector there. */
export function peerAuthorization(identity: RunningConnector, connectors: RunningConnector[]) {
  return (url: string) => {
    const target = connectors.find((c) => url.startsWith(c.url));
    return target ? identity.ctx.trust.authorizationFor({ audienceDid: target.did }) : undefined;
  };
}
