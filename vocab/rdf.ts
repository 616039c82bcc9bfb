import jsonld from 'jsonld';
import { canonize } from 'rdf-canonize';
import { DataFactory, Parser, Writer, type Quad, type Term } from 'n3';
import { NS } from './namespaces.ts';
import { offlineDocumentLoader, type DocumentLoader } from './document-loader.ts';

/** JSON-LD <-> RDF <-> Turtle. Parsing and writing go through n3; JSON-LD processing through jsonld.js with the offline loader. */

interface RdfJsTermLike {
  termType: string;
  value: string;
  datatype?: { value: string };
  language?: string;
}

function toN3Term(term: RdfJsTermLike): Term {
  switch (term.termType) {
    case 'NamedNode':
      return DataFactory.namedNode(term.value);
    case 'BlankNode':
      return DataFactory.blankNode(term.value.replace(/^_:/, ''));
    case 'Literal':
      if (term.language) return DataFactory.literal(term.value, term.language);
      return DataFactory.literal(term.value, term.datatype ? DataFactory.namedNode(term.datatype.value) : undefined);
    case 'DefaultGraph':
      return DataFactory.defaultGraph();
    default:
      throw new Error(`Unsupported RDF term type ${term.termType}`);
  }
}

/** Expands a JSON-LD document to RDF quads (n3 terms). Unknown contexts are refused by the loader. */
export async function jsonLdToQuads(doc: unknown, documentLoader: DocumentLoader = offlineDocumentLoader): Promise<Quad[]> {
  const dataset = await jsonld.toRDF(doc, { documentLoader, safe: true });
  return dataset.map((q) =>
    DataFactory.quad(toN3Term(q.subject) as Quad['subject'], toN3Term(q.predicate) as Quad['predicate'], toN3Term(q.object) as Quad['object'], toN3Term(q.graph) as Quad['graph']),
  );
}

/** Builds JSON-LD from quads, compacted with `context` when one is given (expanded form otherwise). */
export async function quadsToJsonLd(quads: readonly Quad[], context?: unknown, documentLoader: DocumentLoader = offlineDocumentLoader): Promise<unknown> {
  const expanded = await jsonld.fromRDF(quads, { useNativeTypes: false });
  return context === undefined ? expanded : jsonld.compact(expanded, context, { documentLoader });
}

export const TURTLE_PREFIXES: Record<string, string> = { ...NS };

export function quadsToTurtle(quads: readonly Quad[], prefixes: Record<string, string> = TURTLE_PREFIXES): Promise<string> {
  const writer = new Writer({ prefixes, format: 'text/turtle' });
  writer.addQuads(quads as Quad[]);
  return new Promise((resolve, reject) => writer.end((error, result: string) => (error ? reject(error) : resolve(result))));
}

export function turtleToQuads(text: string, baseIRI?: string): Quad[] {
  return new Parser({ format: 'text/turtle', ...(baseIRI ? { baseIRI } : {}) }).parse(text);
}

export async function jsonLdToTurtle(doc: unknown, documentLoader?: DocumentLoader): Promise<string> {
  return quadsToTurtle(await jsonLdToQuads(doc, documentLoader));
}

export async function turtleToJsonLd(text: string, context?: unknown, documentLoader?: DocumentLoader): Promise<unknown> {
  return quadsToJsonLd(turtleToQuads(text), context, documentLoader);
}

/** Canonical N-Quads (RDFC-1.0): two graphs are isomorphic exactly when these strings are equal. */
export function canonicalNQuads(quads: readonly Quad[]): Promise<string> {
  return canonize(quads, { algorithm: 'RDFC-1.0' });
}

export async function isomorphic(a: readonly Quad[], b: readonly Quad[]): Promise<boolean> {
  return (await canonicalNQuads(a)) === (await canonicalNQuads(b));
}
