import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonld from 'jsonld';
// @ts-expect-error jsonld.js ships no types for its internals
import ContextResolver from 'jsonld/lib/ContextResolver.js';
import { DSP_DIR, dspSchemaErrors, SCHEMA_OF, STRICT_SCHEMA_OF } from './schemas.ts';

export const DSP_CONTEXT = 'https://w3id.org/dspace/2025/1/context.jsonld';
export const DSPACE = 'https://w3id.org/dspace/2025/1/';
const ODRL_PROFILE = 'https://w3id.org/dspace/2025/1/odrl-profile.jsonld';

/** The TCK's loader: the two DSP 2025-1 contexts and nothing else (README §6.1). */
const CONTEXTS = new Map([
  [DSP_CONTEXT, JSON.parse(readFileSync(join(DSP_DIR, 'context/dspace.jsonld'), 'utf8'))],
  [ODRL_PROFILE, JSON.parse(readFileSync(join(DSP_DIR, 'context/odrl.jsonld'), 'utf8'))],
]);
const documentLoader = async (url: string) => {
  const document = CONTEXTS.get(url);
  if (!document) throw new Error(`the TCK's document loader knows no context ${url}`);
  // jsonld.js may change a context while processing it (@import): hand out a copy each time.
  return { contextUrl: null, documentUrl: url, document: structuredClone(document) };
};

export class ScenarioFailure extends Error {
  override name = 'ScenarioFailure';
}

/** A message as the TCK puts it on the wire: compact 2025-1 JSON under the DSP context, with a random @id. */
export function message(type: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { '@context': [DSP_CONTEXT], '@type': type, '@id': `urn:uuid:${crypto.randomUUID()}`, ...fields };
}

type Expanded = Record<string, unknown[]>;

/**
 * How bodies are read: as the TCK does (its schemas only), or strictly (every DSP type with a schema, error
 * answers included); and the types read so far, for a conformance run to check every message was seen.
 */
export const reading = { strict: false, seen: new Map<string, number>() };

/**
 * What the TCK does with every body it receives: a top-level string @type, schema validation when it has
 * a schema for that type, then JSON-LD expansion with the DSP contexts only. Returns the expanded node.
 */
export async function readDsp(body: unknown, expectedType?: string): Promise<Expanded> {
  if (!body || typeof body !== 'object' || typeof (body as { '@type'?: unknown })['@type'] !== 'string')
    throw new ScenarioFailure(`Invalid JsonLd Document, expecting a @type attribute: ${JSON.stringify(body)?.slice(0, 300)}`);
  const type = (body as { '@type': string })['@type'];
  if (expectedType && type !== expectedType) throw new ScenarioFailure(`expected a ${expectedType}, got ${type}`);
  reading.seen.set(type, (reading.seen.get(type) ?? 0) + 1);
  const schema = (reading.strict ? STRICT_SCHEMA_OF : SCHEMA_OF)[type];
  if (schema) {
    const errors = dspSchemaErrors(schema, body);
    if (errors.length > 0) throw new ScenarioFailure(`${type} does not validate against ${schema}: ${errors.slice(0, 5).join('; ')}`);
  }
  let expanded: unknown[];
  try {
    // A fresh context cache per document: jsonld.js's shared cache of resolved contexts lets a type-scoped
    // context processed for one document (a Dataset's Offer) change how another expands (its ContractRequestMessage).
    const contextResolver = new ContextResolver({ sharedCache: new Map() });
    expanded = await jsonld.expand(body as never, { documentLoader: documentLoader as never, contextResolver } as never);
  } catch (error) {
    throw new ScenarioFailure(`${type} cannot be expanded with the DSP contexts only: ${(error as Error).message}`);
  }
  const node = expanded[0] as Expanded | undefined;
  // Catalog, Dataset… are DCAT's types under the DSP context; messages and processes are DSP's.
  if (!node || !((node['@type'] ?? []) as string[]).some((iri) => iri.endsWith(`/${type}`) || iri.endsWith(`#${type}`)))
    throw new ScenarioFailure(`${type} does not expand to a ${type} type`);
  return node;
}

/** An @id-valued DSP property (consumerPid, providerPid, state) of an expanded node. */
export function idOf(node: Expanded, term: string): string {
  const value = (node[`${DSPACE}${term}`]?.[0] as { '@id'?: string } | undefined)?.['@id'];
  if (!value) throw new ScenarioFailure(`the message has no ${term} (as an @id) after expansion`);
  return value;
}

/** A string-valued DSP property (callbackAddress) of an expanded node. */
export function literalOf(node: Expanded, term: string): string {
  const value = (node[`${DSPACE}${term}`]?.[0] as { '@value'?: string } | undefined)?.['@value'];
  if (typeof value !== 'string') throw new ScenarioFailure(`the message has no ${term} (as a value) after expansion`);
  return value;
}

/** The state of an expanded ContractNegotiation / TransferProcess, e.g. "REQUESTED". */
export function stateOf(node: Expanded): string {
  const state = idOf(node, 'state');
  if (!state.startsWith(DSPACE)) throw new ScenarioFailure(`state ${state} is not a DSP state IRI`);
  return state.slice(DSPACE.length);
}
