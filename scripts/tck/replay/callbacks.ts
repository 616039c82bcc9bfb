import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ScenarioFailure, readDsp } from './jsonld.ts';

/** Serves what is not a DSP callback (a standard peer's DID document and credential service). */
export type Forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;

/** What a handler answers: a body (sent as JSON text) or nothing, always without a Content-Type (as the TCK). */
export type CallbackAnswer = { status?: number; body?: unknown };

interface Expectation {
  path: RegExp;
  type: string;
  answer: (body: Record<string, unknown>) => CallbackAnswer;
  resolve: (body: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

/**
 * The TCK's callback server: a path is answered only while a step expects a message there (else 404
 * "No handler registered on this endpoint"), one trailing "/" stripped; what arrives is checked as the TCK
 * checks it (string @type, schema, expansion with the DSP contexts only) before the handler answers 200.
 */
export function createCallbackServer(forward?: Forward) {
  const expectations = new Set<Expectation>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/$/, '');
    if (forward && !/^\/(negotiations|transfers)\//.test(path)) return forward(req, res, Buffer.concat(chunks));
    const expectation = req.method === 'POST' ? [...expectations].find((e) => e.path.test(path)) : undefined;
    if (!expectation) {
      res.writeHead(404).end('No handler registered on this endpoint');
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (process.env.REPLAY_DEBUG) console.error('CALLBACK', path, JSON.stringify(body));
      await readDsp(body, expectation.type);
    } catch (error) {
      expectations.delete(expectation);
      expectation.reject(error instanceof ScenarioFailure ? error : new ScenarioFailure(`${expectation.type} at ${path}: ${(error as Error).message}`));
      res.writeHead(400).end();
      return;
    }
    const answer = expectation.answer(body);
    res.writeHead(answer.status ?? 200).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    // Refused "too early" (our own bookkeeping not done yet, as the TCK's state machine does): the sender retries.
    if ((answer.status ?? 200) >= 400) return;
    expectations.delete(expectation);
    expectation.resolve(body);
  });

  return {
    server,
    /**
     * Expects one `type` message POSTed at a path matching `path`, answered by `answer` (default: 200, empty);
     * the promise rejects after `timeoutMs`.
     */
    expect(path: RegExp, type: string, timeoutMs: number, answer: Expectation['answer'] = () => ({})): Promise<Record<string, unknown>> {
      const promise = new Promise<Record<string, unknown>>((resolve, reject) => {
        const expectation: Expectation = {
          path,
          type,
          answer,
          resolve: (body) => {
            clearTimeout(timer);
            resolve(body);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          expectations.delete(expectation);
          reject(new ScenarioFailure(`no ${type} arrived at ${path.source} within ${timeoutMs} ms`));
        }, timeoutMs);
        expectations.add(expectation);
      });
      promise.catch(() => undefined); // a scenario that failed earlier may never await it
      return promise;
    },
    /** Forgets every expectation (between scenarios). */
    reset() {
      for (const e of expectations) e.reject(new ScenarioFailure('the scenario ended'));
      expectations.clear();
    },
    listen: (port: number, host: string) => new Promise<void>((resolve) => server.listen(port, host, resolve)),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type CallbackServer = ReturnType<typeof createCallbackServer>;

/** A path pattern for a pid and a suffix, e.g. on(pid, 'offers') → /…/negotiations/<pid>/offers$ */
export const at = (kind: 'negotiations' | 'transfers', pid: string, suffix: string) =>
  new RegExp(`/${kind}/${encodeURIComponent(pid).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${suffix}$`);
