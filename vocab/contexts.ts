import { readFileSync } from 'node:fs';
import { CONTEXT } from './namespaces.ts';

/**
 * The JSON-LD contexts shipped with the connector, by URL. Files live beside this module in contexts/;
 * they are read once, on first use, and never fetched from the network.
 */
const CONTEXT_FILES: Record<string, string> = {
  [CONTEXT.dspace]: 'dspace-2025-1.jsonld',
  [CONTEXT.dspaceOdrlProfile]: 'dspace-2025-1-odrl-profile.jsonld',
  [CONTEXT.credentialsV2]: 'credentials-v2.jsonld',
  [CONTEXT.didV1]: 'did-v1.jsonld',
  [CONTEXT.multikeyV1]: 'multikey-v1.jsonld',
  [CONTEXT.dataIntegrityV2]: 'data-integrity-v2.jsonld',
  [CONTEXT.odrl]: 'odrl.jsonld',
  [CONTEXT.connectorV1]: 'connector-v1.jsonld',
  [CONTEXT.odrlProfileV1]: 'odrl-profile-v1.jsonld',
};

const loaded = new Map<string, unknown>();

/** The parsed context document for a bundled URL, or undefined when the URL is not bundled. */
export function bundledContext(url: string): unknown {
  const file = CONTEXT_FILES[url];
  if (file === undefined) return undefined;
  let doc = loaded.get(url);
  if (doc === undefined) {
    doc = JSON.parse(readFileSync(new URL(`./contexts/${file}`, import.meta.url), 'utf8'));
    loaded.set(url, doc);
  }
  return doc;
}

export function bundledContextUrls(): string[] {
  return Object.keys(CONTEXT_FILES);
}
