import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { ScenarioFailure } from '../tck/replay/jsonld.ts';

/** did:web → the URL of its document (did:web:host%3Aport:a:b → http(s)://host:port/a/b/did.json). */
export function didDocumentUrl(did: string): string {
  const match = /^did:web:([^:]+)((?::[^:]+)*)$/.exec(did);
  if (!match) throw new ScenarioFailure(`not a did:web: ${did}`);
  const host = decodeURIComponent(match[1]!);
  const path = match[2] ? match[2].slice(1).split(':').map(decodeURIComponent).join('/') : '.well-known';
  const scheme = /^(localhost|127\.\d+\.\d+\.\d+)(:\d+)?$/.test(host) ? 'http' : 'https';
  return `${scheme}://${host}/${path}/did.json`;
}

/** What the replay reads of a DID document. */
export interface DidDocument {
  service?: { type?: string; serviceEndpoint?: unknown }[];
  verificationMethod?: { id: string; publicKeyJwk?: JWK }[];
}

/** Claims as the TCK reads them (nimbus JWTClaimsSet): any JSON. */
// biome-ignore lint/suspicious/noExplicitAny: JWT claims are arbitrary JSON, read field by field as the TCK does
export type Claims = Record<string, any>;

export async function resolveDid(did: string): Promise<DidDocument> {
  const response = await fetch(didDocumentUrl(did));
  if (!response.ok) throw new ScenarioFailure(`DID document of ${did}: HTTP ${response.status}`);
  const document = (await response.json()) as DidDocument;
  // The TCK's DidClient reads documents with a default Jackson mapper, which fails on properties it does not know.
  const METHOD = ['id', 'type', 'controller', 'publicKeyJwk', 'publicKeyMultibase'];
  for (const method of document.verificationMethod ?? []) {
    const unknown = Object.keys(method).filter((k) => !METHOD.includes(k));
    if (unknown.length) throw new ScenarioFailure(`${did}: the TCK cannot read a verification method with ${unknown.join(', ')}`);
  }
  for (const service of document.service ?? []) {
    if (Object.keys(service).some((k) => !['id', 'type', 'serviceEndpoint'].includes(k)) || typeof service.serviceEndpoint !== 'string')
      throw new ScenarioFailure(`${did}: the TCK reads services as {id, type, serviceEndpoint: string} only`);
  }
  return document;
}

/** The endpoint of a service of `type` in a DID document (DidDocument#getServiceEntry). */
export async function serviceEndpoint(did: string, type: 'CredentialService' | 'IssuerService'): Promise<string> {
  const entry = ((await resolveDid(did)).service ?? []).find((s) => s.type === type);
  if (typeof entry?.serviceEndpoint !== 'string') throw new ScenarioFailure(`${did} announces no ${type}`);
  return entry.serviceEndpoint;
}

/**
 * Verifies a JWT the way the TCK does (BaseTokenValidationService, TokenValidationServiceImpl): jti new for
 * this validator, exp and iat present and not past / not ahead, nbf not ahead, kid `<did>#<fragment>` (or a
 * bare DID with one verification method) resolved to a `publicKeyJwk`, the signature; and, for ID tokens, aud
 * containing `audience` and iss = sub. Returns the claims or a reason.
 */
export function tokenValidator(audience?: string) {
  const used = new Set<string>();
  return async (jwt: string): Promise<{ claims: Claims } | { failure: string }> => {
    let claims: Claims;
    let kid: string | undefined;
    try {
      claims = decodeJwt(jwt);
      kid = decodeProtectedHeader(jwt).kid;
    } catch (error) {
      return { failure: `Invalid JWT: ${(error as Error).message}` };
    }
    const at = Date.now() / 1000;
    if (audience !== undefined) {
      const aud = [claims.aud].flat();
      if (!aud.includes(audience)) return { failure: `Audience does not match: ${aud}` };
      if (claims.iss !== claims.sub) return { failure: 'Issuer and subject do not match' };
    }
    if (!claims.jti) return { failure: 'JTI not specified' };
    if (used.has(claims.jti)) return { failure: 'JTI already used' };
    used.add(claims.jti);
    if (typeof claims.exp !== 'number' || claims.exp < at) return { failure: 'Token has expired' };
    if (typeof claims.iat !== 'number' || claims.iat > at) return { failure: 'Token issued in the future' };
    if (typeof claims.nbf === 'number' && claims.nbf > at) return { failure: 'Token used before start' };
    const [did, fragment] = (kid ?? '').split('#');
    if (!did) return { failure: `Invalid kid: ${kid}` };
    try {
      const methods = (await resolveDid(did)).verificationMethod ?? [];
      const method = fragment === undefined ? (methods.length === 1 ? methods[0] : undefined) : methods.find((m) => m.id === `${did}#${fragment}` || m.id === `#${fragment}`);
      if (!method?.publicKeyJwk) return { failure: `no verification method with a publicKeyJwk for ${kid}` };
      await compactVerify(jwt, await importJWK(method.publicKeyJwk, method.publicKeyJwk.crv === 'Ed25519' ? 'EdDSA' : 'ES256'));
    } catch (error) {
      return { failure: `JWT verification failed: ${(error as Error).message}` };
    }
    return { claims };
  };
}

/** TestFixtures#parseAndVerifyJwt: the signature only, by the kid's `publicKeyJwk`, which must be an EC key. */
export async function verifyEcSignature(jwt: string): Promise<Claims> {
  const kid = decodeProtectedHeader(jwt).kid ?? '';
  const [did, fragment] = kid.split('#');
  if (!did || fragment === undefined) throw new ScenarioFailure(`Key material must have two parts: [documentId]#[keyId], but was: ${kid}`);
  const methods = (await resolveDid(did)).verificationMethod ?? [];
  const jwk = methods.find((m) => m.id === `#${fragment}` || m.id === `${did}#${fragment}`)?.publicKeyJwk;
  if (!jwk) throw new ScenarioFailure(`Key material could not be resolved: ${kid}`);
  if (jwk.kty !== 'EC') throw new ScenarioFailure(`the key ${kid} is not an EC key (the TCK reads it with JWK#toECKey)`);
  await compactVerify(jwt, await importJWK(jwk, 'ES256')).catch(() => {
    throw new ScenarioFailure(`the signature of a JWT by ${kid} does not verify`);
  });
  return decodeJwt(jwt);
}
