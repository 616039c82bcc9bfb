import { z } from 'zod';
import type { Context } from 'hono';
import { HttpProblem } from './errors.ts';

/**
 * The management API describes itself: each route group registers its operations with the zod schemas it
 * validates with, and /api/openapi.json renders them as OpenAPI 3.1. One schema serves validation and
 * documentation, so they cannot drift apart.
 */

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path below /api, with {params}: "/datasets/{id}". */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

function jsonSchema(schema: z.ZodType): unknown {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

export class OpenApiRegistry {
  readonly #operations: ApiOperation[] = [];

  add(...operations: ApiOperation[]): void {
    this.#operations.push(...operations);
  }

  document(info: { title: string; version: string; serverUrl: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.#operations) {
      const parameters = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
      if (op.query) {
        const properties = (jsonSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] }) ?? {};
        for (const [name, schema] of Object.entries(properties.properties ?? {})) {
          parameters.push({ name, in: 'query', required: (properties.required ?? []).includes(name) as true, schema: schema as { type: string } });
        }
      }
      paths[op.path] ??= {};
      paths[op.path]![op.method] = {
        summary: op.summary,
        tags: [op.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
        responses: Object.fromEntries(
          Object.entries(op.responses).map(([status, r]) => [
            status,
            { description: r.description, ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema) } } } : {}) },
          ]),
        ),
        security: [{ apiKey: [] }],
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      servers: [{ url: `${info.serverUrl}/api` }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The management API key' } } },
      paths,
    };
  }
}

/** Turns zod issues into "field: what is wrong" lines. */
export function describeZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
}

/**
 * Parses and validates a JSON body; a body that is not JSON or does not fit the schema is a 400 naming the
 * fields at fault, before anything changes.
 */
export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'The request body must be a JSON document');
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new HttpProblem(400, 'invalid_request', 'The request body is not valid', describeZodIssues(result.error));
  return result.data;
}

/** Validates the query string against a schema; a mismatch is a 400 naming the parameters at fault. */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw new HttpProblem(400, 'invalid_query', 'The query parameters are not valid', describeZodIssues(result.error));
  return result.data;
}
