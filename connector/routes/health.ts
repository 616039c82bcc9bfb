import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';

/** /health/live says the process answers; /health says it is ready (its database answers too). */
export function healthRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
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
