import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { AGREEMENT_CREDENTIAL_SERVICE } from '../../contracts/negotiation/messages.ts';
import type { Forward } from '../../scripts/tck/replay/callbacks.ts';
import type { ReplayResult } from '../../scripts/tck/replay/runner.ts';
import { tckSettings, type TckSettings } from '../../scripts/tck/settings.ts';
import { startTestConnector } from '../support/connectors.ts';
import { admit, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';

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

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The dataspace the standard peer joins: the trio (authority, hospital, institute), onboarded, and the peer
 * (a connector of ours that lends the peer its keys and credential service) admitted with a participant
 * credential and a data permit it holds in its wallet. `port` is where the replay's callback server listens.
 */
export async function startPeerDataspace(): Promise<{ trio: Trio; peer: RunningConnector; port: number; trustedIssuers: { did: string; credentialTypes: string[] }[] }> {
  const port = await freePort();
  const trio = await startTrio();
  const trustedIssuers = [{ did: trio.authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
  const peer = await startTestConnector({ role: 'research-institute', name: 'standard-peer', publicUrl: `http://127.0.0.1:${port}`, trustedIssuers });
  const identity = await serveIdentity(peerIdentityForward(peer), port);
  try {
    await onboard(trio);
    await admit(trio.authority, peer, 'research-institute');
    await grantPermit(trio.authority, peer);
    const collected = await fetch(`http://127.0.0.1:${peer.port}/api/wallet/request`, {
      method: 'POST',
      headers: { authorization: `Bearer ${peer.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ authorityDid: trio.authority.did }),
    });
    expect(collected.status, await collected.clone().text()).toBe(200);
  } finally {
    identity.closeAllConnections();
    await new Promise((resolve) => identity.close(resolve));
  }
  return { trio, peer, port, trustedIssuers };
}

/** TCK properties for the connector `cut`, the replay's callback server on `callbackPort`, and per-test ids by test key. */
export function settingsFor(cut: RunningConnector, callbackPort: number, tests: Record<string, Record<string, string>>): TckSettings {
  return tckSettings(
    new Map([
      ['dataspacetck.dsp.connector.agent.id', cut.did],
      ['dataspacetck.dsp.connector.http.url', `${cut.url}/dsp/2025-1`],
      ['dataspacetck.dsp.connector.http.base.url', cut.url],
      ['dataspacetck.dsp.connector.negotiation.initiate.url', `${cut.url}/api/negotiations`],
      ['dataspacetck.dsp.connector.transfer.initiate.url', `${cut.url}/api/transfers`],
      ['dataspacetck.callback.address', `http://127.0.0.1:${callbackPort}`],
      ['dataspacetck.dsp.default.wait', '10'],
      ...Object.entries(tests).flatMap(([key, ids]) => Object.entries(ids).map(([field, value]) => [`${key}_${field}`, value] as [string, string])),
    ]),
  );
}

/** A scenario id's test key: CN_C:01-02 -> CN_C_01_02. */
export const keyOf = (id: string) => id.replace(':', '_').replace('-', '_');

export const PEER_DATA = Buffer.from('plain data from a standard DSP peer\n');

/** The peer's data endpoint beside its identity: the bytes, with an RFC 9530 Repr-Digest unless `digest` is false (a standard data plane may send none). */
export const withData =
  (forward: Forward, digest = true): Forward =>
  async (req, res, body) => {
    if (!(req.url ?? '').startsWith('/tck-data')) return forward(req, res, body);
    const reprDigest = digest ? { 'repr-digest': `sha-256=:${createHash('sha256').update(PEER_DATA).digest('base64')}:` } : {};
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': PEER_DATA.length, ...reprDigest }).end(PEER_DATA);
  };

/** Where the replay's TransferStartMessages tell the consumer to pull from: the peer's data endpoint. */
export const peerDataAddress = (port: number) => ({
  '@type': 'DataAddress',
  endpointType: 'https://w3id.org/idsa/v4.1/HTTP',
  endpoint: `http://127.0.0.1:${port}/tck-data/cohort.txt`,
  endpointProperties: [{ '@type': 'EndpointProperty', name: 'authorization', value: 'peer-token' }],
});

export const outcome = (result: ReplayResult) => ({ passed: result.passed.length, failed: result.failed });

/** Publishes a dataset with one plain `use` offer for scenario `name` on `provider`; its ids as the TCK's per-test keys. */
export async function scenarioDataset(provider: RunningConnector, name: string, requiresApproval = false): Promise<{ DATASETID: string; OFFERID: string }> {
  const offerId = `urn:tck:${name}:offer`;
  const d = exampleDataset(provider, { offers: [{ '@type': 'Offer', '@id': offerId, permission: [{ action: 'use' }] }], ...(requiresApproval ? { requiresApproval } : {}) });
  await registerDataset(provider, d);
  return { DATASETID: d.id as string, OFFERID: offerId };
}
