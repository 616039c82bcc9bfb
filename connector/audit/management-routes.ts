import { Hono } from 'hono';
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../../contracts/audit/events.ts';
import { type OpenApiRegistry, parseQuery } from '../http/openapi.ts';
import type { AuditTrail } from './trail.ts';

export interface AuditRoutesDeps {
  trail: AuditTrail<unknown>;
  openapi: OpenApiRegistry;
}

const ListQuery = z.object({
  /** Entries after this sequence number (the `next` of the previous page). */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** A negotiation, agreement, transfer, credential or query id, or a member DID. */
  subject: z.string().min(1).max(500).optional(),
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
});

const EntryView = z.object({
  sequence: z.number(),
  recordedAt: z.string(),
  actor: z.string(),
  category: z.string(),
  type: z.string(),
  subjects: z.record(z.string(), z.string()),
  details: z.record(z.string(), z.unknown()),
  previousHash: z.string(),
  hash: z.string(),
});
const BrokenView = z.object({ sequence: z.number(), reason: z.string(), message: z.string() });
const VerdictView = z.object({
  ok: z.boolean(),
  entries: z.number(),
  checkpoints: z.number(),
  head: z.object({ sequence: z.number(), hash: z.string() }),
  signedThrough: z.number(),
  firstBroken: BrokenView.optional(),
});

/**
 * Management API of the audit trail: page through entries (by subject id or event type), verify the chain
 * and its signed checkpoints, and export everything as JSON lines.
 *
 * @example
 * app.route('/api', auditManagementRoutes({ trail: connectorAuditTrail(ctx), openapi: ctx.openapi }));
 */
export function auditManagementRoutes({ trail, openapi }: AuditRoutesDeps): Hono {
  const app = new Hono();
  const tag = 'audit';
  openapi.add(
    {
      method: 'get',
      path: '/audit',
      tag,
      summary: 'Audit entries in sequence order, a page at a time; filter by subject id or event type',
      query: ListQuery,
      responses: {
        200: {
          description: 'One page of entries; `next` is the `after` of the following page (null: no more)',
          schema: z.object({ entries: z.array(EntryView), next: z.number().nullable() }),
        },
        400: { description: 'Invalid query' },
      },
    },
    {
      method: 'get',
      path: '/audit/verify',
      tag,
      summary: 'Recompute the hash chain and check every signed checkpoint; names the first broken entry',
      responses: { 200: { description: 'The verdict (ok false names firstBroken)', schema: VerdictView } },
    },
    {
      method: 'get',
      path: '/audit/export',
      tag,
      summary: 'The whole trail as JSON lines: {"entry":…} lines, each checkpoint as {"checkpoint":…} after the entry it signs',
      responses: { 200: { description: 'JSON lines', contentType: 'application/jsonl', schema: z.string() } },
    },
  );

  app.get('/audit', async (c) => {
    const { after, limit, subject, type } = parseQuery(c, ListQuery);
    const entries = await trail.store.entries({ after, limit, ...(subject ? { subjectId: subject } : {}), ...(type ? { type } : {}) });
    return c.json({ entries, next: entries.length === limit ? entries.at(-1)!.sequence : null });
  });
  app.get('/audit/verify', async (c) => c.json(await trail.verify()));
  app.get('/audit/export', (c) => {
    c.header('content-type', 'application/jsonl; charset=utf-8');
    return c.body(ReadableStream.from(trail.export()).pipeThrough(new TextEncoderStream()));
  });
  return app;
}
