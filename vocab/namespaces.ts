/**
 * Namespace IRIs and prefixes used across the connector. Every IRI the code writes comes from here,
 * so a namespace that changes (HealthDCAT-AP's is still provisional) changes in one place.
 */

export const NS = {
  dspace: 'https://w3id.org/dspace/2025/1/',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  odrl: 'http://www.w3.org/ns/odrl/2/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  adms: 'http://www.w3.org/ns/adms#',
  prov: 'http://www.w3.org/ns/prov#',
  spdx: 'http://spdx.org/rdf/terms#',
  locn: 'http://www.w3.org/ns/locn#',
  dqv: 'http://www.w3.org/ns/dqv#',
  sh: 'http://www.w3.org/ns/shacl#',
  dcatap: 'http://data.europa.eu/r5r/',
  eli: 'http://data.europa.eu/eli/ontology#',
  /** HealthDCAT-AP: provisional namespace of the 2024/2025 drafts; keep every use behind this constant. */
  healthdcatap: 'http://healthdataportal.eu/ns/health#',
  dpv: 'https://w3id.org/dpv#',
  gx: 'https://w3id.org/gaia-x/development#',
  cred: 'https://www.w3.org/2018/credentials#',
  sec: 'https://w3id.org/security#',
  did: 'https://www.w3.org/ns/did#',
  /** This project's own vocabulary (credential types, claims, connector terms, ODRL profile terms). */
  hdc: 'https://w3id.org/health-dataspace-connector/ns#',
} as const;

/** This project's ODRL profile (docs/odrl-profile.md): declared in `profile` on every offer the connector publishes. */
export const ODRL_PROFILE = 'https://w3id.org/health-dataspace-connector/odrl-profile/v1';

export type Prefix = keyof typeof NS;

/** Expands `prefix:local` to a full IRI; throws on an unknown prefix so typos surface early. */
export function iri(curie: `${Prefix}:${string}`): string {
  const colon = curie.indexOf(':');
  const prefix = curie.slice(0, colon) as Prefix;
  const base = NS[prefix];
  if (base === undefined) throw new Error(`Unknown prefix "${prefix}" in ${curie}`);
  return base + curie.slice(colon + 1);
}

/** Shortens a full IRI to `prefix:local` when a known namespace matches, else returns it unchanged. */
export function compactIri(full: string): string {
  let best: [string, string] | undefined;
  for (const [prefix, base] of Object.entries(NS)) {
    if (full.startsWith(base) && (best === undefined || base.length > best[1].length)) best = [prefix, base];
  }
  return best ? `${best[0]}:${full.slice(best[1].length)}` : full;
}

/** The URLs of the JSON-LD contexts the connector bundles (see contexts.ts). */
export const CONTEXT = {
  dspace: 'https://w3id.org/dspace/2025/1/context.jsonld',
  dspaceOdrlProfile: 'https://w3id.org/dspace/2025/1/odrl-profile.jsonld',
  credentialsV2: 'https://www.w3.org/ns/credentials/v2',
  /** VC Data Model 1.1, verified but never issued. */
  credentialsV1: 'https://www.w3.org/2018/credentials/v1',
  /** The W3C examples context (a bare @vocab), used by the specification's examples and test suites. */
  credentialsExamplesV2: 'https://www.w3.org/ns/credentials/examples/v2',
  didV1: 'https://www.w3.org/ns/did/v1',
  multikeyV1: 'https://w3id.org/security/multikey/v1',
  dataIntegrityV2: 'https://w3id.org/security/data-integrity/v2',
  odrl: 'https://www.w3.org/ns/odrl.jsonld',
  connectorV1: 'https://w3id.org/health-dataspace-connector/v1',
  /** The ODRL profile's context and term descriptions, served at the profile's IRI. */
  odrlProfileV1: ODRL_PROFILE,
  /** Eclipse EDC's context after DSP's on its DSP messages (EDC's published file, as data). */
  edcDspaceV0: 'https://w3id.org/edc/dspace/v0.0.1',
  /** Tractus-X's token-refresh terms and Catena-X's policy contexts, after DSP's on Tractus-X messages (their published files, as data). */
  tractusxAuthV1: 'https://w3id.org/tractusx/auth/v1.0.0',
  catenaxPolicy2025: 'https://w3id.org/catenax/2025/9/policy/context.jsonld',
  catenaxOdrl2025: 'https://w3id.org/catenax/2025/9/policy/odrl.jsonld',
} as const;
