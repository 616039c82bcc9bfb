import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakePeer {
  url: string;
  requests: RecordedRequest[];
  server: Server;
  close(): Promise<void>;
}

const peers = new Set<() => Promise<void>>();
afterAll(async () => {
  await Promise.all([...peers].map((close) => close()));
  peers.clear();
});

/**
 * A plain HTTP server on a free loopback port that records what it receives and answers with `respond`.
 * It plays a peer that misbehaves in ways a real connector would not (down, slow, garbage), so tests can
 * check how the connector copes. Closed when the test file ends.
 */
export async function startFakePeer(
  respond: (
    request: RecordedRequest,
    index: number,
  ) => { status: number; body?: string; headers?: Record<string, string> } | Promise<{ status: number; body?: string; headers?: Record<string, string> }>,
): Promise<FakePeer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(recorded);
    const answer = await respond(recorded, requests.length - 1);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  peers.add(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server, close };
}
