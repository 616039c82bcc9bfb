import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { tckDid } from './settings.ts';

/**
 * The TCK's own parties (its BaseAssembly): holder, verifier, issuer and an unauthorized third party, each a
 * did:web under the TCK's callback address whose document lists one P-256 key as JsonWebKey2020
 * (`publicKeyJwk`, kid a random UUID), and which signs ES256 JWTs with `kid` = `<did>#<uuid>`.
 */
export type Role = 'holder' | 'verifier' | 'issuer' | 'thirdparty';

export interface Party {
  did: string;
  keyId: string;
  privateKey: KeyObject;
  document: Record<string, unknown>;
  /**
   * ES256, kid `<iss claim>#<this key's id>` as KeyServiceImpl#sign sets it (so a token claiming another
   * issuer names a key that issuer does not have), or any other key and kid (the "wrong signing key" tests).
   */
  sign(claims: Record<string, unknown>, options?: { privateKey?: KeyObject; kid?: string }): Promise<string>;
}

const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
const DCP_NAMESPACE = 'https://w3id.org/dspace-dcp/v1.0';
export const MEMBERSHIP = 'MembershipCredential';
export const SENSITIVE_DATA = 'SensitiveDataCredential';
export const scopeOf = (type: string) => `org.eclipse.dspace.dcp.vc.type:${type}:read`;

export const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const now = () => Math.floor(Date.now() / 1000);

/** A party of the TCK, with a new key unless `jwk` (a P-256 private JWK) is given; its kid is the JWK's or a UUID. */
export function createParty(callbackAddress: URL, role: Role, jwk?: JsonWebKey & { kid?: string }): Party {
  const did = tckDid(callbackAddress, role);
  const privateKey = jwk ? createPrivateKey({ key: jwk, format: 'jwk' }) : p256().privateKey;
  const publicKey = createPublicKey(privateKey);
  const kid = jwk?.kid ?? crypto.randomUUID();
  const keyId = `${did}#${kid}`;
  const base = callbackAddress.href.replace(/\/+$/, '');
  // The issuer announces an IssuerService, everyone else a CredentialService, both at the TCK's root.
  const service =
    role === 'issuer'
      ? { id: 'TCK-Issuer-Service', type: 'IssuerService', serviceEndpoint: base }
      : { id: 'TCK-Credential-Service', type: 'CredentialService', serviceEndpoint: base };
  const document = {
    '@context': [DID_CONTEXT, DCP_NAMESPACE],
    id: did,
    service: [service],
    verificationMethod: [{ id: keyId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } }],
    authentication: [keyId],
    assertionMethod: [keyId],
    capabilityInvocation: [keyId],
  };
  return {
    did,
    keyId,
    privateKey,
    document,
    sign: (claims, options = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: options.kid ?? `${String(claims.iss)}#${kid}` }).sign(options.privateKey ?? privateKey),
  };
}

/** A self-issued ID token as the TCK builds it: iss = sub = the party, 600 s, a fresh jti; `claims` override. */
export function idToken(party: Party, audience: string, claims: Record<string, unknown> = {}): Promise<string> {
  return party.sign({ iss: party.did, sub: party.did, aud: audience, jti: crypto.randomUUID(), iat: now(), exp: now() + 600, ...claims });
}

/** The TCK's test credential (ServiceAssembly#createCredential): VCDM 1.1, 600 s, subject {id, foo: bar}. */
export function credential(issuer: string, subject: string, type: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    id: crypto.randomUUID(),
    type: ['VerifiableCredential', type],
    issuer,
    issuanceDate: new Date().toISOString(),
    expirationDate: new Date(Date.now() + 600_000).toISOString(),
    credentialSubject: { id: subject, foo: 'bar' },
    ...fields,
  };
}

/** JwtCredentialGenerator: the credential in a `vc` claim, iss the issuer, sub the subject, nbf/iat now, exp 300 s. */
export function credentialJwt(issuer: Party, vc: Record<string, unknown>): Promise<string> {
  const subject = (vc.credentialSubject as { id: string }).id;
  return issuer.sign({ iss: issuer.did, sub: subject, jti: crypto.randomUUID(), nbf: now(), iat: now(), exp: now() + 300, vc });
}

/** The claims of a JWT presentation as EDC's JwtPresentationGenerator makes it: a `vp` claim with the credentials as compact JWTs, for `audience`, 300 s. */
export function presentationClaims(holderDid: string, audience: string, credentials: string[]): Record<string, unknown> {
  return {
    iss: holderDid,
    sub: holderDid,
    aud: audience,
    jti: crypto.randomUUID(),
    nbf: now(),
    iat: now(),
    exp: now() + 300,
    vp: {
      '@context': ['https://www.w3.org/2018/credentials/v1', 'https://identity.foundation/presentation-exchange/submission/v1'],
      type: 'VerifiablePresentation',
      verifiableCredential: credentials,
    },
  };
}

/** JwtPresentationGenerator: presentationClaims signed by the holder. */
export function presentationJwt(holder: Party, audience: string, credentials: string[]): Promise<string> {
  return holder.sign(presentationClaims(holder.did, audience, credentials));
}
