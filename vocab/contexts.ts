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
  [CONTEXT.credentialsV1]: 'credentials-v1.jsonld',
  [CONTEXT.credentialsExamplesV2]: 'credentials-examples-v2.jsonld',
  [CONTEXT.didV1]: 'did-v1.jsonld',
  [CONTEXT.multikeyV1]: 'multikey-v1.jsonld',
  [CONTEXT.dataIntegrityV2]: 'data-integrity-v2.jsonld',
  [CONTEXT.odrl]: 'odrl.jsonld',
  [CONTEXT.connectorV1]: 'connector-v1.jsonld',
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

/**
 * Digests of contexts as the W3C publishes them (the bytes served at their URLs, which differ in layout from
 * the bundled copies), for checking a credential's relatedResource digests without fetching.
 * credentials v2: SHA-256 as stated in VCDM 2.0 §B.1; SHA-384 of the same published file.
 */
const PUBLISHED_DIGESTS: Record<string, { sha256?: string; sha384?: string }> = {
  [CONTEXT.credentialsV2]: {
    sha256: '24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9',
    sha384: '35239c36999d2155312091af194a1edb61634d6ad789a5e5b19f2aebdd762dd9d1dcaada40eda7ef921c6b8c0ae107a0',
  },
};

/** The published SHA-2 digests of a bundled context, or undefined when none is recorded. */
export function publishedContextDigests(url: string): { sha256?: Uint8Array; sha384?: Uint8Array } | undefined {
  const known = PUBLISHED_DIGESTS[url];
  if (!known) return undefined;
  return Object.fromEntries(Object.entries(known).map(([algorithm, hex]) => [algorithm, new Uint8Array(Buffer.from(hex, 'hex'))]));
}
