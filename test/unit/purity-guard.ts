import { createRequire, syncBuiltinESMExports } from 'node:module';

/**
 * Setup file of `npm run test:unit` (vitest.unit.config.ts): unit tests are pure, so every way out of the
 * process that a test could take by accident (TCP, UDP, DNS, fetch, child processes, database files) throws
 * here, naming what was attempted. A test that needs any of them is a live test: it belongs outside
 * test/unit and the unit include list, and runs with `npm test`.
 */
const require = createRequire(import.meta.url);

export class ImpureUnitTest extends Error {
  override name = 'ImpureUnitTest';
  constructor(attempt: string) {
    super(
      `A unit test tried to ${attempt}. Unit tests (npm run test:unit) open no sockets, start no processes and create no database files; move this test out of the unit include list in vitest.unit.config.ts.`,
    );
  }
}

function refuse(attempt: (args: unknown[]) => string) {
  return (...args: unknown[]): never => {
    throw new ImpureUnitTest(attempt(args));
  };
}

/** "127.0.0.1:5432" or a socket path, from net's (options) or (port, host) or (path) arguments. */
function endpoint(args: unknown[]): string {
  const [first, second] = args;
  if (Array.isArray(first)) return endpoint(first);
  if (typeof first === 'object' && first !== null) {
    const { host, port, path } = first as { host?: string; port?: number; path?: string };
    return path ?? `${host ?? 'localhost'}:${port ?? 0}`;
  }
  return typeof second === 'string' ? `${second}:${String(first)}` : String(first ?? 'any port');
}

const net = require('node:net') as typeof import('node:net');
net.Socket.prototype.connect = refuse((args) => `open a network connection to ${endpoint(args)}`);
net.Server.prototype.listen = refuse((args) => `listen on ${endpoint(args)}`);

const dgram = require('node:dgram') as typeof import('node:dgram');
dgram.Socket.prototype.bind = refuse(() => 'bind a UDP socket');
dgram.Socket.prototype.send = refuse(() => 'send a UDP datagram');

const dns = require('node:dns') as Record<string, unknown> & { promises: Record<string, unknown> };
for (const api of [dns, dns.promises]) {
  for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse'])
    api[name] = refuse((args) => `resolve a host name (${name} ${String(args[0])})`);
}

globalThis.fetch = refuse(([input]) => `fetch ${input instanceof Request ? input.url : String(input)}`);

const childProcess = require('node:child_process') as Record<string, unknown>;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  childProcess[name] = refuse((args) => `start a child process (${name} ${String(args[0])})`);
}

const sqlite = require('node:sqlite') as typeof import('node:sqlite');
const { DatabaseSync } = sqlite;
/** In-memory databases are pure; a database file is not. */
class InMemoryDatabaseOnly extends DatabaseSync {
  constructor(...args: ConstructorParameters<typeof DatabaseSync>) {
    if (args[0] !== ':memory:') throw new ImpureUnitTest(`open the database file ${String(args[0])}`);
    super(...args);
  }
}
(sqlite as { DatabaseSync: typeof DatabaseSync }).DatabaseSync = InMemoryDatabaseOnly;

// `import { spawn } from 'node:child_process'` binds to the ES module view of these built-ins: update it too.
syncBuiltinESMExports();
