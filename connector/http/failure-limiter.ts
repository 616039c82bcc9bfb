import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * Back-off for failed authentication, per client address: after `maxFailures` failures within `windowMs`
 * (a sliding window) the client is refused every attempt, right or wrong, for a block that doubles with
 * each further strike up to `maxBlockMs`; a success clears it. Written here rather than taken from
 * hono-rate-limiter because that counts requests, and what we must count is failures, across several
 * middlewares (management API, dashboard sign-in, peer authentication), with an exponential block.
 */
export interface FailureLimiterOptions {
  /** Failures tolerated within the window. Default 10. */
  maxFailures?: number;
  /** Default one minute. */
  windowMs?: number;
  /** First block; each further strike doubles it. Default 30 s. */
  blockMs?: number;
  /** Default 15 minutes. */
  maxBlockMs?: number;
  /** Clients tracked at once; the oldest are forgotten beyond it. Default 10,000. */
  maxClients?: number;
  now?: () => number;
}

export interface FailureLimiter {
  /** Seconds the client must wait, or 0 if it may try now. */
  retryAfter(client: string): number;
  fail(client: string): void;
  succeed(client: string): void;
}

interface ClientRecord {
  failures: number[];
  strikes: number;
  blockedUntil: number;
}

/**
 * @example
 * const limiter = createFailureLimiter({ maxFailures: 10, windowMs: 60_000 });
 * if (limiter.retryAfter(ip)) return tooManyRequests(c, limiter.retryAfter(ip));
 */
export function createFailureLimiter(options: FailureLimiterOptions = {}): FailureLimiter {
  const { maxFailures = 10, windowMs = 60_000, blockMs = 30_000, maxBlockMs = 15 * 60_000, maxClients = 10_000, now = Date.now } = options;
  const clients = new Map<string, ClientRecord>();

  function record(client: string): ClientRecord {
    let entry = clients.get(client);
    if (entry) {
      clients.delete(client); // re-inserted below: the Map's order is least recently seen first
    } else {
      entry = { failures: [], strikes: 0, blockedUntil: 0 };
      if (clients.size >= maxClients) clients.delete(clients.keys().next().value!);
    }
    clients.set(client, entry);
    return entry;
  }

  return {
    retryAfter(client) {
      const entry = clients.get(client);
      const wait = entry ? entry.blockedUntil - now() : 0;
      return wait > 0 ? Math.ceil(wait / 1000) : 0;
    },
    fail(client) {
      const entry = record(client);
      const at = now();
      entry.failures = entry.failures.filter((t) => t > at - windowMs);
      entry.failures.push(at);
      if (entry.failures.length < maxFailures) return;
      entry.blockedUntil = at + Math.min(maxBlockMs, blockMs * 2 ** entry.strikes);
      entry.strikes += 1;
      entry.failures = [];
    },
    succeed(client) {
      clients.delete(client);
    },
  };
}

/**
 * The client's address: the socket's peer, or behind a trusted reverse proxy the address that proxy saw
 * (the last X-Forwarded-For entry; earlier ones are whatever the client chose to send).
 */
export function clientAddress(c: Context, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface LimitFailuresOptions {
  limiter: FailureLimiter;
  trustProxy?: boolean;
  /** Whether the answer the route gave was a failed attempt. */
  failed(c: Context): boolean;
  /** The 429 answer; Retry-After is already set. */
  tooMany(c: Context, retryAfterSeconds: number): Response | Promise<Response>;
}

/** Middleware form for routes that answer failures themselves (e.g. a sign-in form redirecting back). */
export function limitFailures(options: LimitFailuresOptions): MiddlewareHandler {
  return async (c, next) => {
    const client = clientAddress(c, options.trustProxy);
    const wait = options.limiter.retryAfter(client);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return options.tooMany(c, wait);
    }
    await next();
    if (options.failed(c)) options.limiter.fail(client);
    else options.limiter.succeed(client);
  };
}
