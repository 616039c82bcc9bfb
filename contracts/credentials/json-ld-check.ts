import jsonld from 'jsonld';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import type { DataModelProblem } from './data-model.ts';

/**
 * The JSON-LD side of the data model: every term is defined by a context (safe mode: nothing is dropped),
 * no protected term is redefined, every context is one the connector holds, and every type expands to an
 * absolute IRI. An RDFC proof finds most of this while canonicalizing; a JCS proof never looks, so the
 * VC-API runs this check itself for every document it issues or verifies.
 */

const ABSOLUTE_IRI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]*$/;

interface JsonLdFailure {
  name?: string;
  message?: string;
  details?: { code?: string; event?: { code?: string; details?: Record<string, unknown> }; cause?: unknown; url?: string; context?: unknown };
  cause?: unknown;
}

/** A message a person can act on, out of jsonld.js's nested errors (safe-mode events, loader failures). */
export function describeJsonLdError(error: unknown): string {
  let current = error as JsonLdFailure | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.name === 'DocumentLoaderError') return current.message ?? 'a JSON-LD context could not be loaded';
    const event = current.details?.event;
    if (event?.code) {
      const detail = event.details ?? {};
      const what = detail.property ?? detail.type ?? detail.iri ?? detail.value ?? detail.term;
      return `JSON-LD ${event.code.replace(/ /g, '_')}${what !== undefined ? ` "${typeof what === 'string' ? what : JSON.stringify(what)}"` : ''}: every term must be defined by a context in @context`;
    }
    if (current.details?.code === 'protected term redefinition') return `JSON-LD protected term redefinition: ${current.message ?? ''}`.trim();
    const next = (current.details?.cause ?? current.cause) as JsonLdFailure | undefined;
    if (!next) return `JSON-LD ${current.details?.code ?? 'error'}: ${current.message ?? 'the document cannot be expanded'}`;
    current = next;
  }
  return 'the document is not valid JSON-LD';
}

function isLoaderFailure(error: unknown): boolean {
  let current = error as JsonLdFailure | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.name === 'DocumentLoaderError') return true;
    current = (current.details?.cause ?? current.cause) as JsonLdFailure | undefined;
  }
  return false;
}

function collectTypes(node: unknown, found: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collectTypes(n, found);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '@type' && !('@value' in node)) found.push(...(Array.isArray(value) ? value : [value]).filter((t): t is string => typeof t === 'string'));
    else if (key !== '@value') collectTypes(value, found);
  }
}

/** Problems found by expanding the document in safe mode; empty when it is sound JSON-LD. */
export async function checkJsonLd(document: unknown, documentLoader: DocumentLoader): Promise<DataModelProblem[]> {
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(document, { documentLoader, safe: true, base: null });
  } catch (error) {
    return [{ path: '@context', message: describeJsonLdError(error), ...(isLoaderFailure(error) ? { code: 'unknown_context' as const } : {}) }];
  }
  const types: string[] = [];
  collectTypes(expanded, types);
  const relative = types.filter((t) => !ABSOLUTE_IRI.test(t) && !t.startsWith('_:'));
  return relative.length > 0 ? [{ path: 'type', message: `every type must map to a URL through the context (not ${relative.map((t) => JSON.stringify(t)).join(', ')})` }] : [];
}
