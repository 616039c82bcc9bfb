import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpProblem } from './errors.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from './metrics.ts';

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

/**
 * Guards the management API with one API key, sent as `Authorization: Bearer <key>` or `X-Api-Key`.
 * Compared in constant time over digests so neither the key's content nor its length leaks.
 */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    const header = c.req.header('authorization');
    const presented = header?.startsWith('Bearer ') ? header.slice(7) : c.req.header('x-api-key');
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="management-api"');
      throw new HttpProblem(401, 'unauthorized', 'A valid management API key is required (Authorization: Bearer <key>)');
    }
    await next();
  };
}
