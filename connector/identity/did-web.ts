import { CONTEXT } from '../../vocab/namespaces.ts';
import { dspAddressOf } from '../http/dsp-path.ts';
import { AGREEMENT_CREDENTIAL_SERVICE } from '../../contracts/negotiation/messages.ts';

/**
 * did:web as specified: the host (with its port percent-encoded as %3A) and optional path segments
 * joined by ":". did:web:127.0.0.1%3A8701 <-> http://127.0.0.1:8701/.well-known/did.json
 */

export class InvalidDidError extends Error {
  override name = 'InvalidDidError';
}

/** The did:web of a connector whose public URL is `publicUrl` (its path, if any, becomes DID path segments). */
export function didWebFromUrl(publicUrl: string): string {
  const url = new URL(publicUrl);
  const host = url.port ? `${url.hostname}%3A${url.port}` : url.hostname;
  const segments = url.pathname.split('/').filter(Boolean).map(encodeURIComponent);
  return ['did:web', host, ...segments].join(':');
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

/**
 * The URL of a did:web DID document. Plain http is used for loopback hosts (local dataspaces and tests)
 * or when `allowInsecureHttp` is set; every other host is reached over https.
 */
export function didWebDocumentUrl(did: string, options: { allowInsecureHttp?: boolean } = {}): URL {
  const match = /^did:web:([^:#?/]+)((?::[^:#?/]+)*)$/.exec(did);
  if (!match) throw new InvalidDidError(`"${did}" is not a valid did:web DID`);
  let host: string;
  try {
    host = decodeURIComponent(match[1]!);
  } catch {
    throw new InvalidDidError(`"${did}" has a malformed percent-encoding in its host`);
  }
  const path = match[2] ? match[2].slice(1).split(':').map(decodeURIComponent).join('/') : '.well-known';
  let url: URL;
  try {
    url = new URL(`https://${host}`);
  } catch {
    throw new InvalidDidError(`"${did}" does not name a valid host`);
  }
  if (url.pathname !== '/' || url.username || url.search) throw new InvalidDidError(`"${did}" does not name a valid host`);
  if (isLoopbackHost(url.hostname) || options.allowInsecureHttp) url.protocol = 'http:';
  url.pathname = `/${path}/did.json`;
  return url;
}

export interface ServiceEndpoint {
  id: string;
  type: string;
  serviceEndpoint: string;
}

export type DidVerificationMethod =
  | { id: string; type: 'Multikey'; controller: string; publicKeyMultibase: string }
  | { id: string; type: 'JsonWebKey2020'; controller: string; publicKeyJwk: Record<string, string> };

export interface DidDocument {
  '@context': string[];
  id: string;
  verificationMethod: DidVerificationMethod[];
  authentication: string[];
  assertionMethod: string[];
  /** DCP 1.0 §4.3.3: the keys that sign self-issued ID tokens. */
  capabilityInvocation: string[];
  service: ServiceEndpoint[];
}

export const IDENTITY_KEY_FRAGMENT = 'key-1';
/** The P-256 key (JsonWebKey2020), for JWTs signed ES256. */
export const P256_KEY_FRAGMENT = 'key-2';
export const MEMBER_REGISTRY_SERVICE = 'MemberRegistry';
/** The signed form of the member registry (`<registry>/members`): a JWS by the authority. */
export const MEMBER_REGISTRY_MEDIA_TYPE = 'application/jwt';
/** DCP 1.0 §6.2: where the authority's issuer service (metadata, credential requests) lives. */
export const ISSUER_SERVICE = 'IssuerService';

/**
 * The connector's DID document: its Ed25519 Multikey and, when given, its P-256 key as JsonWebKey2020 (for
 * peers that take ES256 only), both for authentication, assertions and ID tokens; and its service endpoints.
 */
export function buildDidDocument(did: string, publicKeyMultibase: string, publicUrl: string, role?: string, p256Jwk?: Record<string, string>): DidDocument {
  const keyId = `${did}#${IDENTITY_KEY_FRAGMENT}`;
  const p256Id = `${did}#${P256_KEY_FRAGMENT}`;
  const keys = p256Jwk ? [keyId, p256Id] : [keyId];
  return {
    '@context': [CONTEXT.didV1, CONTEXT.multikeyV1],
    id: did,
    verificationMethod: [
      { id: keyId, type: 'Multikey', controller: did, publicKeyMultibase },
      ...(p256Jwk ? [{ id: p256Id, type: 'JsonWebKey2020' as const, controller: did, publicKeyJwk: p256Jwk }] : []),
    ],
    authentication: keys,
    assertionMethod: keys,
    capabilityInvocation: keys,
    service: [
      { id: `${did}#dsp`, type: 'DataService', serviceEndpoint: `${publicUrl}/.well-known/dspace-version` },
      { id: `${did}#catalog`, type: 'CatalogService', serviceEndpoint: `${dspAddressOf(publicUrl)}/catalog` },
      { id: `${did}#credential-service`, type: 'CredentialService', serviceEndpoint: `${publicUrl}/dcp` },
      // Signed agreements are exchanged here, beside the plain DSP messages (connector/negotiation/agreement-credential-routes.ts).
      { id: `${did}#agreements`, type: AGREEMENT_CREDENTIAL_SERVICE, serviceEndpoint: `${publicUrl}/agreements` },
      // A governance authority also publishes its member registry and, as a DCP Issuer Service, issues members their credentials.
      ...(role === 'governance-authority'
        ? [
            { id: `${did}#member-registry`, type: MEMBER_REGISTRY_SERVICE, serviceEndpoint: `${publicUrl}/registry` },
            { id: `${did}#issuer-service`, type: ISSUER_SERVICE, serviceEndpoint: `${publicUrl}/issuer` },
          ]
        : []),
    ],
  };
}

/** The endpoint of the first service of `type` in a DID document (without a trailing slash), if any. */
export function serviceEndpointOf(document: { service?: readonly { type?: unknown; serviceEndpoint?: unknown }[] }, type: string): string | undefined {
  const endpoint = (document.service ?? []).find((s) => s.type === type)?.serviceEndpoint;
  return typeof endpoint === 'string' ? endpoint.replace(/\/+$/, '') : undefined;
}
