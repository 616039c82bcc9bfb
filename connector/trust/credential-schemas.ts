import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { SchemaCheck } from '../../contracts/credentials/verifier.ts';
import { asArray, subjectsOf } from '../../contracts/credentials/model.ts';
import { isLoopbackHost } from '../identity/did-web.ts';
import { developmentEgress } from '../egress/connector-egress.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import { nestsQuantifiers } from '../../contracts/credentials/safe-pattern.ts';

/** A credential's JSON Schema is a few KiB; 256 KiB is plenty. */
const MAX_SCHEMA_BYTES = 256 * 1024;
const CACHE_ENTRIES = 100;
/** A schema that could not be fetched or read is not asked for again for this long (at most the ttl). */
const FAILURE_TTL_MS = 30_000;

export interface SchemaCheckerOptions {
  /** How long a fetched schema is reused. */
  ttlMs: number;
  allowInsecureHttp?: boolean;
  /** The connector's egress guard; default: the development policy. */
  fetch?: typeof fetch;
}

/** What a schema type validates: VC JSON Schema's JsonSchema the whole credential, the 2018 validator each subject. */
const TARGETS: Record<string, 'credential' | 'subject'> = { JsonSchema: 'credential', JsonSchemaValidator2018: 'subject' };

/** A pattern of the schema (`pattern`, a `patternProperties` key) that could backtrack catastrophically, if any. */
function riskyPattern(node: unknown): string | undefined {
  if (Array.isArray(node)) return node.map(riskyPattern).find((p) => p !== undefined);
  if (typeof node !== 'object' || node === null) return undefined;
  const record = node as Record<string, unknown>;
  const own = [typeof record.pattern === 'string' ? record.pattern : undefined, ...Object.keys((record.patternProperties as object) ?? {})];
  return (
    own.find((p) => p !== undefined && nestsQuantifiers(p)) ??
    Object.values(record)
      .map(riskyPattern)
      .find((p) => p !== undefined)
  );
}

/** Ajv for the schema's dialect: 2020-12 and 2019-09 by their meta-schemas, draft-04 to draft-07 as draft-07. */
function compile(schema: Record<string, unknown>): ValidateFunction {
  const dialect = String(schema.$schema ?? '');
  const options = { strict: false, allErrors: false, validateSchema: false } as const;
  if (dialect.includes('2020-12')) return new Ajv2020(options).compile(schema);
  if (dialect.includes('2019-09')) return new Ajv2019(options).compile(schema);
  const { $schema: _, ...rest } = schema;
  return new Ajv(options).compile(rest);
}

/**
 * Checks a credential against the JSON Schemas its `credentialSchema` names (VCDM 2.0 §4.11, VC JSON Schema):
 * each schema fetched over https (http only for loopback hosts) through the egress guard, with a byte limit,
 * compiled once and cached for a while. A schema that cannot be fetched or compiled is reported as
 * `unavailable` (the verifier decides whether that refuses); a schema type other than JsonSchema and
 * JsonSchemaValidator2018 is not checked.
 */
export function createSchemaChecker(options: SchemaCheckerOptions): SchemaCheck {
  const cache = new Map<string, { validate: ValidateFunction | Error; until: number }>();
  const fetchFn = options.fetch ?? developmentEgress();

  /** The compiled schema, from the cache or fetched; a failure is kept briefly too, so it costs one fetch. */
  async function load(url: string): Promise<ValidateFunction> {
    const cached = cache.get(url);
    if (cached && cached.until > Date.now()) {
      if (cached.validate instanceof Error) throw cached.validate;
      return cached.validate;
    }
    const outcome = await fetchSchema(url).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(url, { validate: outcome, until: Date.now() + (outcome instanceof Error ? Math.min(options.ttlMs, FAILURE_TTL_MS) : options.ttlMs) });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  async function fetchSchema(url: string): Promise<ValidateFunction> {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && (isLoopbackHost(parsed.hostname) || options.allowInsecureHttp))))
      throw new Error(`schema ${url} must be an https URL`);
    const response = await fetchFn(url, {
      headers: { accept: 'application/schema+json, application/json' },
      signal: AbortSignal.timeout(5000),
      redirect: 'error',
      maxResponseBytes: MAX_SCHEMA_BYTES,
    } as RequestInit);
    if (!response.ok) throw new Error(`schema ${url} answered ${response.status}`);
    const schema = JSON.parse(await readBoundedText(response, MAX_SCHEMA_BYTES)) as unknown;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error(`schema ${url} is not a JSON object`);
    // The schema is the issuer's, not ours: a pattern that could run for minutes is refused, not compiled.
    const risky = riskyPattern(schema);
    if (risky !== undefined) throw new Error(`schema ${url} has a pattern that nests quantifiers: ${JSON.stringify(risky)}`);
    return compile(schema as Record<string, unknown>);
  }

  return async (credential) => {
    for (const entry of asArray(credential.credentialSchema as { id?: unknown; type?: unknown } | { id?: unknown; type?: unknown }[] | undefined)) {
      const target = TARGETS[String(entry?.type)];
      if (!target) continue;
      let validate: ValidateFunction;
      try {
        validate = await load(String(entry.id));
      } catch (error) {
        return { unavailable: true, message: `cannot check its schema: ${(error as Error).message}` };
      }
      for (const value of target === 'credential' ? [credential] : subjectsOf(credential)) {
        if (!validate(value))
          return {
            unavailable: false,
            message: `it violates its schema ${String(entry.id)}: ${validate.errors?.map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')}`,
          };
      }
    }
    return undefined;
  };
}
