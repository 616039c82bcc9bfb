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
  [CONTEXT.odrlProfileV1]: 'odrl-profile-v1.jsonld',
  [CONTEXT.edcDspaceV0]: 'edc-dspace-v0.0.1.jsonld',
  [CONTEXT.tractusxAuthV1]: 'tractusx-auth-v1.0.0.jsonld',
  [CONTEXT.catenaxPolicy2025]: 'catenax-2025-9-policy-context.jsonld',
  [CONTEXT.catenaxOdrl2025]: 'catenax-2025-9-policy-odrl.jsonld',
};

const loaded = new Map<string, { doc: unknown; imports: boolean }>();

/**
 * The parsed context document for a bundled URL, or undefined when the URL is not bundled. A context that uses
 * `@import` is returned as a fresh copy each time: jsonld.js merges the imported context into the scoped context
 * that imports it in place, so a shared document carried one expansion's merge into the next (after a DSP message
 * and a DSP Dataset, the next message expanded to its @type alone). The others are shared (copying costs).
 */
export function bundledContext(url: string): unknown {
  const file = CONTEXT_FILES[url];
  if (file === undefined) return undefined;
  let entry = loaded.get(url);
  if (entry === undefined) {
    const text = readFileSync(new URL(`./contexts/${file}`, import.meta.url), 'utf8');
    entry = { doc: JSON.parse(text), imports: text.includes('"@import"') };
    loaded.set(url, entry);
  }
  return entry.imports ? structuredClone(entry.doc) : entry.doc;
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
