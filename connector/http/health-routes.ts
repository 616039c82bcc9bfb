import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';

/**
 * /health/live says the process answers; /health says it is ready (its database answers too);
 * /metrics is the Prometheus scrape endpoint (aggregates only: route patterns, no ids, no payloads).
 */
export function healthRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  ctx.metrics.gauge('hdc_process_resident_memory_bytes', 'Resident set size of the connector process', () => process.memoryUsage.rss());
  ctx.metrics.gauge('hdc_process_uptime_seconds', 'Seconds since the connector process started', () => Math.round(process.uptime()));
  app.get('/metrics', async (c) => c.body(await ctx.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health', async (c) => {
    try {
      await ctx.database.ping();
      return c.json({ status: 'ok', did: ctx.did, checks: { database: 'ok' } });
    } catch (error) {
      ctx.logger.warn('readiness check failed', { error });
      return c.json({ status: 'unavailable', did: ctx.did, checks: { database: 'unavailable' } }, 503);
    }
  });
  return app;
}
