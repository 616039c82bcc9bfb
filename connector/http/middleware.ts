import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { HttpProblem } from './errors.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from './metrics.ts';
import { clientAddress, createFailureLimiter, type FailureLimiter } from './failure-limiter.ts';

export interface AnsweredRequest {
  requestId: string | undefined;
  method: string;
  path: string;
  /** The route pattern, for metric labels (never the concrete path). */
  route: string;
  status: number;
  seconds: number;
}

/**
 * One access-log line per request (method, path but never the query string, which may carry tokens,
 * status, duration) and the request metrics, labelled by route pattern. Shared by Hono and raw Node routes.
 */
export function requestObserver(logger: Logger, metrics: MetricsRegistry): (answered: AnsweredRequest) => void {
  const requests = metrics.counter('hdc_http_requests_total', 'HTTP requests answered, by method, route pattern and status');
  const durations = metrics.histogram('hdc_http_request_duration_seconds', 'Time to answer HTTP requests, by method and route pattern');
  return ({ requestId, method, path, route, status, seconds }) => {
    requests.inc({ method, route, status: String(status) });
    durations.observe(seconds, { method, route });
    logger.info('request', { requestId, method, path, status, ms: Math.round(seconds * 10_000) / 10 });
  };
}

export function accessLog(observe: (answered: AnsweredRequest) => void): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    observe({
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      route: c.res.status === 404 ? '(unmatched)' : c.req.routePath,
      status: c.res.status,
      seconds: (performance.now() - started) / 1000,
    });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export interface ApiKeyAuthOptions {
  /** Take the client address from X-Forwarded-For (config `trustProxy`). */
  trustProxy?: boolean;
  /** Back-off for wrong keys; default 10 failures a minute per client, then a doubling block. */
  limiter?: FailureLimiter;
}

/** A 429 for a client that failed too often; it must wait `seconds` (also sent as Retry-After). */
export function tooManyAttempts(c: Context, seconds: number): HttpProblem {
  c.header('Retry-After', String(seconds));
  return new HttpProblem(429, 'too_many_requests', `Too many failed attempts; try again in ${seconds} s`);
}

/**
 * Guards the management API with one API key, sent as `Authorization: Bearer <key>` or `X-Api-Key`.
 * Compared in constant time over digests so neither the key's content nor its length leaks. A client that
 * sends wrong keys too often is answered 429 with Retry-After, whatever it sends, until its block ends.
 */
export function apiKeyAuth(apiKey: string, options: ApiKeyAuthOptions = {}): MiddlewareHandler {
  const expected = digest(apiKey);
  const limiter = options.limiter ?? createFailureLimiter();
  return async (c, next) => {
    const client = clientAddress(c, options.trustProxy);
    const wait = limiter.retryAfter(client);
    if (wait > 0) throw tooManyAttempts(c, wait);
    const header = c.req.header('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7) : c.req.header('x-api-key');
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      limiter.fail(client);
      c.header('WWW-Authenticate', 'Bearer realm="management-api"');
      throw new HttpProblem(401, 'unauthorized', 'A valid management API key is required (Authorization: Bearer <key>)');
    }
    limiter.succeed(client);
    await next();
  };
}
