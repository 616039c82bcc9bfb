import { Hono } from 'hono';
import { z } from 'zod';
import { ROLES } from '../config.ts';
import type { ConnectorContext } from '../context.ts';
import { dspAddressOf } from '../http/dsp-path.ts';

const Identity = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  did: z.string(),
  publicUrl: z.string(),
  dspAddress: z.string(),
  database: z.object({ dialect: z.enum(['sqlite', 'postgres']), location: z.string() }),
});

/** The operator's management API (mounted under /api behind the API key). */
export function managementRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  ctx.openapi.add({
    method: 'get',
    path: '/identity',
    tag: 'connector',
    summary: "This connector's name, role, DID, addresses and database",
    responses: { 200: { description: 'The connector identity', schema: Identity } },
  });
  app.get('/identity', (c) =>
    c.json({
      name: ctx.config.name,
      role: ctx.config.role,
      did: ctx.did,
      publicUrl: ctx.config.publicUrl,
      dspAddress: dspAddressOf(ctx.config.publicUrl),
      database: { dialect: ctx.database.dialect, location: ctx.database.location },
    } satisfies z.input<typeof Identity>),
  );
  return app;
}
