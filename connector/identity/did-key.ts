import type { DIDDocument, VerificationMethod } from 'did-resolver';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { generateIdentityKey } from './keys.ts';
import { publicKeyFromMultikey } from '../../contracts/credentials/jose-keys.ts';

/**
 * DID methods whose identifier is the key itself, resolved without any network: did:key (Ed25519 Multikey,
 * `did:key:z6Mk…`, and P-256 `zDn…` or P-384 `z82…` for ES256/ES384 JWTs, W3C CCG did:key v0.7) and did:jwk (`did:jwk:` + base64url of a public JWK). The
 * document is derived from the DID alone, so resolving never fails for a well-formed one.
 */

const JWK_CONTEXT = 'https://w3id.org/security/jwk/v1';

export function isKeyDid(did: string): boolean {
  return did.startsWith('did:key:') || did.startsWith('did:jwk:');
}

function documentFor(did: string, context: string, method: VerificationMethod, withKeyAgreement: boolean): DIDDocument {
  const relationships = [method.id];
  return {
    '@context': [CONTEXT.didV1, context],
    id: did,
    verificationMethod: [method],
    authentication: relationships,
    assertionMethod: relationships,
    capabilityInvocation: relationships,
    capabilityDelegation: relationships,
    ...(withKeyAgreement ? { keyAgreement: relationships } : {}),
  } as DIDDocument;
}

function didKeyDocument(did: string): DIDDocument {
  const multibase = did.slice('did:key:'.length);
  if (!/^(z6Mk|zDn|z82)[1-9A-HJ-NP-Za-km-z]+$/.test(multibase))
    throw new Error(`${did} is not an Ed25519 (z6Mk…), P-256 (zDn…) or P-384 (z82…) did:key; other key types are not supported`);
  if (multibase.startsWith('z6Mk')) decodeMultikey(multibase, ED25519_PUBLIC_HEADER);
  else publicKeyFromMultikey(multibase);
  return documentFor(did, CONTEXT.multikeyV1, { id: `${did}#${multibase}`, type: 'Multikey', controller: did, publicKeyMultibase: multibase }, false);
}

function didJwkDocument(did: string): DIDDocument {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString('utf8'));
  } catch {
    throw new Error(`${did} does not carry a base64url-encoded JSON Web Key`);
  }
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw new Error(`${did} does not carry a JSON Web Key`);
  if ('d' in jwk) throw new Error(`${did} carries a private key: a did:jwk holds the public key only`);
  const encryptionOnly = jwk.use === 'enc';
  const method = { id: `${did}#0`, type: 'JsonWebKey', controller: did, publicKeyJwk: jwk } as VerificationMethod;
  const doc = documentFor(did, JWK_CONTEXT, method, jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519');
  return encryptionOnly ? ({ '@context': doc['@context'], id: did, verificationMethod: [method], keyAgreement: [method.id] } as DIDDocument) : doc;
}

/** The DID document of a did:key or did:jwk; throws what `invalid` makes of the reason when the DID is malformed. */
export function keyDidDocument(did: string, invalid: (message: string) => Error): DIDDocument {
  try {
    return did.startsWith('did:key:') ? didKeyDocument(did) : didJwkDocument(did);
  } catch (error) {
    throw invalid((error as Error).message);
  }
}

/** A fresh did:key with its signing key, for short-lived identities (tests, tools) that need no DID document hosting. */
export function generateDidKey(): { did: string; id: string; controller: string; publicKeyMultibase: string; secretKeyMultibase: string } {
  const { publicKeyMultibase, secretKeyMultibase } = generateIdentityKey();
  const did = `did:key:${publicKeyMultibase}`;
  return { did, id: `${did}#${publicKeyMultibase}`, controller: did, publicKeyMultibase, secretKeyMultibase };
}
