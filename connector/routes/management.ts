import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';

/** The operator's management API (mounted under /api behind the API key). */
export function managementRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  app.get('/identity', (c) =>
    c.json({
      name: ctx.config.name,
      role: ctx.config.role,
      did: ctx.did,
      publicUrl: ctx.config.publicUrl,
      dspAddress: `${ctx.config.publicUrl}/dsp/2025-1`,
      database: { dialect: ctx.database.dialect, location: ctx.database.location },
    }),
  );
  return app;
}
