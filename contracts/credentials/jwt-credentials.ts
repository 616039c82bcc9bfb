import type { KeyObject } from 'node:crypto';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { idOf, isObject } from './data-model.ts';
import { decodeJwt, jwsVerifies, signJws, type TokenError } from './id-token.ts';
import { algorithmOfKey, JOSE_ALGORITHMS, type JoseAlgorithm, publicKeyOfMethod } from './jose-keys.ts';
import { asArray, type VerifiableCredential } from './model.ts';
import type { Rejection } from './verifier.ts';

/**
 * JWT credentials and presentations as DCP peers exchange them (EDC IdentityHub, walt.id, the DCP TCK):
 * VC Data Model 1.1 §6.3 "JWT encoding" (the credential in a `vc` claim, `iss`/`sub`/`nbf`/`exp`/`jti`
 * standing for issuer, subject, issuanceDate, expirationDate and id) and VC-JOSE-COSE (`typ: vc+jwt`,
 * the credential itself as payload); presentations as a JWT with a `vp` claim whose `verifiableCredential`
 * holds compact JWTs (or embedded credentials), signed by the holder for the verifier (`aud`).
 * Algorithms: EdDSA, ES256, ES384, decided by the key the DID document lists, never by the header alone.
 */

export type JwtOutcome<T> = ({ verified: true } & T) | ({ verified: false } & Rejection);
const refuse = (code: Rejection['code'], message: string) => ({ verified: false as const, code, message });

export function isCompactJwt(value: unknown): value is string {
  return typeof value === 'string' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

/** Relationships under which a DID document may list the key of a credential (issuer) or a presentation (holder). */
export const RELATIONSHIPS = {
  credential: ['assertionMethod'],
  presentation: ['authentication', 'assertionMethod', 'capabilityInvocation'],
} as const;

/** The key `kid` names, checked to belong to `controller` and to be listed under one of `relationships`. */
export async function controllerKey(kid: string, controller: string, relationships: readonly string[], documentLoader: DocumentLoader): Promise<KeyObject> {
  if (kid.split('#')[0] !== controller) throw new Error(`${kid} is not a key of ${controller}`);
  const document = (await documentLoader(controller)).document as Record<string, unknown>;
  const matches = (entry: unknown) => {
    const id = idOf(entry);
    return id === kid || (id?.startsWith('#') && `${controller}${id}` === kid);
  };
  if (!relationships.some((r) => asArray(document[r] as unknown).some(matches))) throw new Error(`${kid} is not listed under ${relationships.join(' or ')} of ${controller}`);
  const embedded = asArray(document.verificationMethod as unknown).find((m) => isObject(m) && matches(m));
  const method = (embedded ?? (await documentLoader(kid)).document) as Parameters<typeof publicKeyOfMethod>[0];
  return publicKeyOfMethod(method).key;
}

/** Opens a compact JWS signed by a key of `signer` (read from the payload by `signerOf`); the payload on success. */
export async function openSigned(
  jwt: string,
  signerOf: (payload: Record<string, unknown>) => string | undefined,
  relationships: readonly string[],
  documentLoader: DocumentLoader,
): Promise<JwtOutcome<{ header: Record<string, unknown>; payload: Record<string, unknown>; signer: string }>> {
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    ({ header, claims: payload } = decodeJwt(jwt));
  } catch (error) {
    return refuse('malformed', (error as TokenError).message);
  }
  if (!JOSE_ALGORITHMS.includes(header.alg as JoseAlgorithm))
    return refuse('invalid_proof', `the JWS algorithm ${JSON.stringify(header.alg)} is not supported (${JOSE_ALGORITHMS.join(', ')})`);
  const signer = signerOf(payload);
  if (!signer) return refuse('malformed', 'the JWT names no issuer');
  const kid = typeof header.kid === 'string' ? (header.kid.startsWith('#') ? `${signer}${header.kid}` : header.kid) : undefined;
  if (!kid) return refuse('invalid_proof', 'the JWT header has no kid');
  let key: KeyObject;
  try {
    key = await controllerKey(kid, signer, relationships, documentLoader);
  } catch (error) {
    return refuse('unresolvable_key', `cannot resolve the signing key ${kid}: ${(error as Error).message}`);
  }
  if (algorithmOfKey(key) !== header.alg) return refuse('invalid_proof', `the key ${kid} does not sign ${String(header.alg)}`);
  if (!(await jwsVerifies(jwt, key, header.alg as JoseAlgorithm))) return refuse('invalid_proof', 'the JWS signature does not verify');
  return { verified: true, header, payload, signer };
}

const seconds = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000).toISOString().replace('.000Z', 'Z') : undefined);

const BARE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** EDC and the DCP TCK put a bare UUID in `vc.id` and `jti`; the URI it stands for is its urn:uuid form (RFC 9562). */
const uriOf = (id: unknown) => (typeof id === 'string' && BARE_UUID.test(id) ? `urn:uuid:${id.toLowerCase()}` : id);

/** VCDM 1.1 §6.3.2: the credential a `vc` claim stands for, with the registered claims filled in. */
function credentialOfVcClaim(payload: Record<string, unknown>): VerifiableCredential {
  const vc = { ...(payload.vc as Record<string, unknown>) };
  if (vc.issuer === undefined && typeof payload.iss === 'string') vc.issuer = payload.iss;
  if (vc.id === undefined && typeof payload.jti === 'string') vc.id = payload.jti;
  if (vc.id !== undefined) vc.id = uriOf(vc.id);
  if (vc.credentialStatus !== undefined)
    vc.credentialStatus = asArray(vc.credentialStatus as Record<string, unknown>[]).map((entry) =>
      isObject(entry) && entry.id !== undefined ? { ...entry, id: uriOf(entry.id) } : entry,
    );
  const v1 = asArray(vc['@context'] as unknown)[0] === CONTEXT.credentialsV1;
  const [from, until] = v1 ? ['issuanceDate', 'expirationDate'] : ['validFrom', 'validUntil'];
  if (vc[from] === undefined) vc[from] = seconds(payload.nbf) ?? seconds(payload.iat);
  if (vc[until] === undefined && payload.exp !== undefined) vc[until] = seconds(payload.exp);
  if (typeof payload.sub === 'string' && isObject(vc.credentialSubject) && vc.credentialSubject.id === undefined)
    vc.credentialSubject = { ...vc.credentialSubject, id: payload.sub };
  return vc as unknown as VerifiableCredential;
}

const epoch = (date: unknown) => (typeof date === 'string' && !Number.isNaN(Date.parse(date)) ? Math.floor(Date.parse(date) / 1000) : undefined);

/**
 * A VCDM 2.0 credential as a VC-JWT 1.1 (VCDM 1.1 §6.3.1; the DCP profile `vc11-sl2021/jwt` that EDC and the
 * DCP TCK ask for): the same claims under the 1.1 context (its other contexts kept), validFrom / validUntil as
 * issuanceDate / expirationDate, no proof (the JWS is the proof), and the registered claims iss, sub, jti, nbf,
 * iat and exp standing for issuer, subject, id and validity. Signed by `keyId`, a key of the issuer.
 */
export function signVcJwt11(credential: VerifiableCredential, keyId: string, privateKey: KeyObject): Promise<string> {
  const { proof: _, validFrom, validUntil, '@context': context, ...rest } = credential;
  const vc = {
    '@context': [CONTEXT.credentialsV1, ...asArray(context).filter((c) => c !== CONTEXT.credentialsV2 && c !== CONTEXT.credentialsV1)],
    ...rest,
    ...(validFrom ? { issuanceDate: validFrom } : {}),
    ...(validUntil ? { expirationDate: validUntil } : {}),
  };
  const subject = asArray(credential.credentialSubject)[0]?.id;
  const [nbf, exp] = [epoch(validFrom) ?? Math.floor(Date.now() / 1000), epoch(validUntil)];
  const claims = {
    iss: idOf(credential.issuer),
    ...(subject ? { sub: subject } : {}),
    ...(credential.id ? { jti: credential.id } : {}),
    nbf,
    iat: nbf,
    ...(exp ? { exp } : {}),
    vc,
  };
  return signJws(claims, { keyId, privateKey });
}

/** What a JWT credential says, read without checking its signature (to index or match what the wallet already verified). */
export function decodeJwtCredential(jwt: string): VerifiableCredential | undefined {
  try {
    const { claims } = decodeJwt(jwt);
    return isObject(claims.vc) ? credentialOfVcClaim(claims) : (claims as unknown as VerifiableCredential);
  } catch {
    return undefined;
  }
}

/**
 * A JWT credential, signed by a key under its issuer's assertionMethod: either a VC-JWT 1.1 (`vc` claim) or
 * a VC-JOSE payload. Returns the credential (its data model, trust, validity and status are the verifier's).
 */
export async function openJwtCredential(jwt: string, documentLoader: DocumentLoader): Promise<JwtOutcome<{ credential: VerifiableCredential }>> {
  const issuerOf = (p: Record<string, unknown>) => (isObject(p.vc) ? (typeof p.iss === 'string' ? p.iss : idOf(p.vc.issuer)) : idOf(p.issuer));
  const opened = await openSigned(jwt, issuerOf, RELATIONSHIPS.credential, documentLoader);
  if (!opened.verified) return opened;
  const { payload } = opened;
  if (isObject(payload.vc)) {
    if (payload.vc.issuer !== undefined && idOf(payload.vc.issuer) !== opened.signer) return refuse('invalid_proof', 'the JWT iss is not the credential issuer');
    return { verified: true, credential: credentialOfVcClaim(payload) };
  }
  if (payload.iss !== undefined && payload.iss !== opened.signer) return refuse('invalid_proof', 'the JWS iss claim is not the credential issuer');
  return { verified: true, credential: payload as unknown as VerifiableCredential };
}

/**
 * A signed document (a JWT whose claims are the document, e.g. the member registry) from `issuer`: signed by
 * a key under its assertionMethod, `iss` the issuer, `exp` not past. Returns the claims.
 */
export async function openSignedDocument(jwt: string, issuer: string, documentLoader: DocumentLoader, now = Date.now()): Promise<JwtOutcome<{ claims: Record<string, unknown> }>> {
  const opened = await openSigned(jwt, (p) => (typeof p.iss === 'string' ? p.iss : undefined), RELATIONSHIPS.credential, documentLoader);
  if (!opened.verified) return opened;
  if (opened.signer !== issuer) return refuse('untrusted_issuer', `the document is signed by ${opened.signer}, not by ${issuer}`);
  if (typeof opened.payload.exp !== 'number' || opened.payload.exp < Math.floor(now / 1000) - 30) return refuse('expired', 'the signed document has expired (or has no exp)');
  return { verified: true, claims: opened.payload };
}

export interface OpenedPresentation {
  holder: string;
  /** The credentials as presented: compact JWTs or embedded credential objects. */
  credentials: (string | VerifiableCredential)[];
}

/**
 * A JWT presentation (`vp` claim) by its holder (`iss`) for `audience`, unexpired, and, when the JWT carries
 * a `nonce`, for `challenge`. EDC's presentations carry no nonce: they are bound by audience and lifetime.
 */
export async function openJwtPresentation(
  jwt: string,
  options: { audience: string; challenge?: string; now?: number; documentLoader: DocumentLoader },
): Promise<JwtOutcome<OpenedPresentation>> {
  const holderOf = (p: Record<string, unknown>) => (typeof p.iss === 'string' ? p.iss : isObject(p.vp) ? idOf(p.vp.holder) : undefined);
  const opened = await openSigned(jwt, holderOf, RELATIONSHIPS.presentation, options.documentLoader);
  if (!opened.verified) return opened;
  const { payload, signer } = opened;
  if (!isObject(payload.vp)) return refuse('malformed', 'the JWT presentation has no "vp" claim');
  if (!asArray(payload.vp.type as unknown).includes('VerifiablePresentation')) return refuse('malformed', 'vp.type must include VerifiablePresentation');
  if (payload.vp.holder !== undefined && idOf(payload.vp.holder) !== signer) return refuse('wrong_holder', 'vp.holder is not the JWT iss');
  if (!asArray(payload.aud as unknown).includes(options.audience))
    return refuse('invalid_proof', `the presentation is for ${JSON.stringify(payload.aud)}, not for ${options.audience}`);
  if (payload.nonce !== undefined && payload.nonce !== options.challenge) return refuse('invalid_proof', 'the presentation was made for another request (nonce)');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof payload.exp !== 'number' || payload.exp < now - 30) return refuse('invalid_proof', 'the presentation has expired (or has no exp)');
  if (typeof payload.nbf === 'number' && payload.nbf > now + 30) return refuse('invalid_proof', 'the presentation is not valid yet (nbf)');
  return { verified: true, holder: signer, credentials: asArray(payload.vp.verifiableCredential as unknown) as (string | VerifiableCredential)[] };
}

/** A JWT presentation of `credentials` by `holder` for `audience`, signed with the holder's key (EdDSA or ES256). */
export function signJwtPresentation(options: {
  holder: string;
  keyId: string;
  privateKey: KeyObject;
  audience: string;
  credentials: (string | VerifiableCredential)[];
  nonce?: string;
  lifetimeS?: number;
  now?: number;
}): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = {
    iss: options.holder,
    sub: options.holder,
    aud: options.audience,
    iat,
    nbf: iat,
    exp: iat + (options.lifetimeS ?? 300),
    jti: crypto.randomUUID(),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    vp: { '@context': [CONTEXT.credentialsV1], type: ['VerifiablePresentation'], holder: options.holder, verifiableCredential: options.credentials },
  };
  return signJws(claims, { keyId: options.keyId, privateKey: options.privateKey });
}
