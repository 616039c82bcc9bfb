import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpProblem } from './errors.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from './metrics.ts';

/**
 * One access-log line per request (method, path but never the query string, which may carry tokens,
 * status, duration) and the request metrics, labelled by route pattern.
 */
export function accessLog(logger: Logger, metrics: MetricsRegistry): MiddlewareHandler {
  const requests = metrics.counter('hdc_http_requests_total', 'HTTP requests answered, by method, route pattern and status');
  const durations = metrics.histogram('hdc_http_request_duration_seconds', 'Time to answer HTTP requests, by method and route pattern');
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.res.status === 404 ? '(unmatched)' : c.req.routePath;
    requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    durations.observe(seconds, { method: c.req.method, route });
    logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(seconds * 10_000) / 10,
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
