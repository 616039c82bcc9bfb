import type { KeyObject } from 'node:crypto';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { isObject } from './data-model.ts';
import { decodeJwt, signJws } from './id-token.ts';
import { openJwtCredential } from './jwt-credentials.ts';
import { asArray, type VerifiableCredential } from './model.ts';
import type { Rejection } from './verifier.ts';

/**
 * Securing Verifiable Credentials using JOSE (VC-JOSE-COSE 1.0 §3.1.1), signed with jose: the credential itself
 * is the JWS payload, the protected header carries `alg` (EdDSA, ES256 or ES384, from the key), `kid` (a verification method of the issuer
 * listed under assertionMethod), `typ: vc+jwt` and `cty: vc`. Inside a presentation, or in a VC-API answer,
 * it travels as an EnvelopedVerifiableCredential whose id is `data:application/vc+jwt,<jws>`.
 */

export const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';
const DATA_URL_PREFIX = `data:${VC_JWT_MEDIA_TYPE},`;
/** The data URLs an enveloped credential is read from: VC-JOSE's media type, or plain `application/jwt` (as the W3C suite's fixture). */
const DATA_URL = /^data:application\/(vc\+)?jwt,/;

/** The compact JWS of a credential, signed by `keyId` (which must belong to the credential's issuer). */
export function signCredentialJwt(credential: VerifiableCredential, keyId: string, privateKey: KeyObject): Promise<string> {
  return signJws(credential, { keyId, privateKey, typ: 'vc+jwt', extraHeader: { cty: 'vc' } });
}

/** VCDM 2.0 §4.13.1: an enveloped credential, as it goes into presentations and VC-API answers. */
export function envelopedCredential(jws: string): VerifiableCredential {
  return { '@context': [CONTEXT.credentialsV2], id: `${DATA_URL_PREFIX}${jws}`, type: ['EnvelopedVerifiableCredential'] } as unknown as VerifiableCredential;
}

export function isEnvelopedCredential(value: unknown): boolean {
  return isObject(value) && asArray(value.type as unknown).includes('EnvelopedVerifiableCredential');
}

type Outcome = { verified: true; credential: VerifiableCredential } | ({ verified: false } & Rejection);
const refuse = (code: Rejection['code'], message: string): Outcome => ({ verified: false, code, message });

/**
 * What is wrong with an EnvelopedVerifiableCredential's own shape (its @context and data URL id), if anything:
 * checked on every use, even when its JWS was verified before.
 */
export function envelopeRefusal(envelope: Record<string, unknown>): ({ verified: false } & Rejection) | undefined {
  if (!asArray(envelope['@context'] as unknown).includes(CONTEXT.credentialsV2))
    return { verified: false, code: 'malformed', message: `@context: an enveloped credential must include "${CONTEXT.credentialsV2}"` };
  if (typeof envelope.id !== 'string' || !DATA_URL.test(envelope.id))
    return { verified: false, code: 'malformed', message: `id: must be a data: URL of type ${VC_JWT_MEDIA_TYPE} (data:${VC_JWT_MEDIA_TYPE},<jws>)` };
  return undefined;
}

/**
 * Opens an EnvelopedVerifiableCredential: the data URL, the JWS header, the issuer's key (under its
 * assertionMethod) and the signature. Returns the credential inside (its data model, validity and status
 * are the verifier's business).
 */
export async function openEnvelopedCredential(envelope: Record<string, unknown>, documentLoader: DocumentLoader): Promise<Outcome> {
  const refusal = envelopeRefusal(envelope);
  if (refusal) return refusal;
  const jws = (envelope.id as string).replace(DATA_URL, '');
  let header: Record<string, unknown>;
  try {
    ({ header } = decodeJwt(jws));
  } catch {
    return refuse('malformed', 'id: the data URL does not hold a compact JWS with a JSON header and payload');
  }
  if (!jws.split('.')[2]) return refuse('malformed', 'id: the data URL holds an unsigned JWS');
  // The typ must agree with the data URL's media type: vc+jwt, or for a plain application/jwt URL also JWT.
  const typs = (envelope.id as string).startsWith(DATA_URL_PREFIX) ? ['vc+jwt'] : ['vc+jwt', 'JWT'];
  if (header.typ !== undefined && !typs.includes(String(header.typ)))
    return refuse('malformed', `the JWS typ must be ${typs.map((t) => `"${t}"`).join(' or ')} (found ${JSON.stringify(header.typ)})`);
  return openJwtCredential(jws, documentLoader);
}
