import { bundledContext } from './contexts.ts';

/** What jsonld.js and the Digital Bazaar libraries expect a document loader to return. */
export interface RemoteDocument {
  contextUrl: string | null;
  documentUrl: string;
  document: unknown;
}

export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/** Resolves a DID URL (`did:web:…#key-1`) or a DID to a JSON document: a DID document or one of its verification methods. */
export type DidDocumentSource = (didUrl: string) => Promise<unknown>;

export class DocumentLoaderError extends Error {
  override name = 'DocumentLoaderError';
  readonly url: string;
  constructor(url: string, message: string) {
    super(message);
    this.url = url;
  }
}

export interface DocumentLoaderOptions {
  /** Resolves `did:` URLs; without it, DID URLs are refused like any other unknown URL. */
  dids?: DidDocumentSource;
  /** Extra documents served as they are (for example a status list fetched and verified elsewhere). */
  documents?: ReadonlyMap<string, unknown>;
}

/**
 * The one document loader of the connector. It serves bundled JSON-LD contexts, DID documents through the
 * injected resolver, and nothing else: any other URL is refused with an error naming it. It never fetches.
 *
 * @example
 * const documentLoader = createDocumentLoader({ dids: (url) => resolver.dereference(url) });
 * await jsonld.expand(doc, { documentLoader });
 */
export function createDocumentLoader(options: DocumentLoaderOptions = {}): DocumentLoader {
  return async (url: string): Promise<RemoteDocument> => {
    const context = bundledContext(url);
    if (context !== undefined) return { contextUrl: null, documentUrl: url, document: context };
    const extra = options.documents?.get(url);
    if (extra !== undefined) return { contextUrl: null, documentUrl: url, document: extra };
    if (url.startsWith('did:')) {
      if (!options.dids) throw new DocumentLoaderError(url, `Cannot load "${url}": this loader resolves no DIDs`);
      return { contextUrl: null, documentUrl: url, document: await options.dids(url) };
    }
    throw new DocumentLoaderError(url, `Refusing to load "${url}": it is not a bundled JSON-LD context, and the connector never fetches documents from the network`);
  };
}

/** The loader for bundled contexts only, shared by code that never needs DIDs (catalog, policies). */
export const offlineDocumentLoader: DocumentLoader = createDocumentLoader();
