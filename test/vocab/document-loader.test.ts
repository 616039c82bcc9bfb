import { describe, expect, it } from 'vitest';
import jsonld from 'jsonld';
import { createDocumentLoader, DocumentLoaderError, offlineDocumentLoader } from '../../vocab/document-loader.ts';
import { bundledContextUrls } from '../../vocab/contexts.ts';
import { CONTEXT, NS } from '../../vocab/namespaces.ts';
import { dspExample } from '../support/dsp-schemas.ts';

describe('offline document loader', () => {
  it('serves every bundled context as a JSON-LD context document', async () => {
    for (const url of bundledContextUrls()) {
      const { document, documentUrl } = await offlineDocumentLoader(url);
      expect(documentUrl).toBe(url);
      expect(document).toHaveProperty('@context');
    }
  });

  it('bundles the contexts the connector speaks', () => {
    expect(bundledContextUrls()).toEqual(expect.arrayContaining(Object.values(CONTEXT)));
  });

  it('refuses a URL it does not bundle, naming the URL', async () => {
    const url = 'https://example.org/unknown-context.jsonld';
    const error = await offlineDocumentLoader(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DocumentLoaderError);
    expect((error as DocumentLoaderError).url).toBe(url);
    expect((error as Error).message).toContain(url);
  });

  it('makes JSON-LD processing of a document with an unknown context fail instead of fetching it', async () => {
    const doc = { '@context': 'https://schema.org/', name: 'x' };
    await expect(jsonld.expand(doc, { documentLoader: offlineDocumentLoader })).rejects.toThrow(/schema\.org/);
  });

  it('expands the DSP 2025-1 catalog example with the bundled DSP and ODRL profile contexts', async () => {
    const example = dspExample('catalog/example/catalog.json');
    const [expanded] = await jsonld.expand(example, { documentLoader: offlineDocumentLoader });
    expect(expanded!['@type']).toContain(`${NS.dcat}Catalog`);
    expect(JSON.stringify(expanded)).toContain(`${NS.odrl}permission`);
  });

  it('resolves DID URLs only through the injected resolver', async () => {
    await expect(offlineDocumentLoader('did:web:example.org#key-1')).rejects.toBeInstanceOf(DocumentLoaderError);
    const seen: string[] = [];
    const loader = createDocumentLoader({
      dids: async (url) => {
        seen.push(url);
        return { id: url };
      },
    });
    const { document } = await loader('did:web:example.org#key-1');
    expect(document).toEqual({ id: 'did:web:example.org#key-1' });
    expect(seen).toEqual(['did:web:example.org#key-1']);
  });
});
