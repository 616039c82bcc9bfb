// The small surface of jsonld.js and rdf-canonize the connector uses (neither ships TypeScript types).
declare module 'jsonld' {
  type Loader = (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>;
  interface Options {
    documentLoader?: Loader;
    base?: string | null;
    safe?: boolean;
    [option: string]: unknown;
  }
  const jsonld: {
    expand(input: unknown, options?: Options): Promise<Record<string, unknown>[]>;
    compact(input: unknown, context: unknown, options?: Options): Promise<Record<string, unknown>>;
    flatten(input: unknown, context?: unknown, options?: Options): Promise<Record<string, unknown>>;
    frame(input: unknown, frame: unknown, options?: Options): Promise<Record<string, unknown>>;
    toRDF(input: unknown, options?: Options): Promise<RdfJsQuadLike[]>;
    fromRDF(dataset: unknown, options?: Options): Promise<Record<string, unknown>[]>;
    canonize(input: unknown, options?: Options): Promise<string>;
  };
  interface RdfJsTermLike {
    termType: string;
    value: string;
    datatype?: { termType: string; value: string };
    language?: string;
  }
  export interface RdfJsQuadLike {
    subject: RdfJsTermLike;
    predicate: RdfJsTermLike;
    object: RdfJsTermLike;
    graph: RdfJsTermLike;
  }
  export default jsonld;
}

declare module 'rdf-canonize' {
  export function canonize(dataset: unknown, options: { algorithm: 'RDFC-1.0'; [option: string]: unknown }): Promise<string>;
}
