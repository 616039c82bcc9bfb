import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { idOf, isObject } from './data-model.ts';
import { asArray, type VerifiableCredential } from './model.ts';
import type { Rejection } from './verifier.ts';

/**
 * Securing Verifiable Credentials using JOSE (VC-JOSE-COSE 1.0 §3.1.1), EdDSA only: the credential itself is
 * the JWS payload, the protected header carries `alg: EdDSA`, `kid` (a verification method of the issuer
 * listed under assertionMethod), `typ: vc+jwt` and `cty: vc`. Inside a presentation, or in a VC-API answer,
 * it travels as an EnvelopedVerifiableCredential whose id is `data:application/vc+jwt,<jws>`.
 */

export const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';
const DATA_URL_PREFIX = `data:${VC_JWT_MEDIA_TYPE},`;

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The compact JWS of a credential, signed by `keyId` (which must belong to the credential's issuer). */
export function signCredentialJwt(credential: VerifiableCredential, keyId: string, privateKey: KeyObject): string {
  const input = `${encode({ alg: 'EdDSA', kid: keyId, typ: 'vc+jwt', cty: 'vc' })}.${encode(credential)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
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

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The Ed25519 public key of `kid`, checked to be an assertion method of `issuer`'s DID document. */
async function assertionKey(kid: string, issuer: string, documentLoader: DocumentLoader): Promise<KeyObject> {
  const controller = (await documentLoader(issuer)).document as Record<string, unknown>;
  const listed = asArray(controller.assertionMethod as unknown).some((entry) => {
    const id = idOf(entry);
    return id === kid || (id?.startsWith('#') && `${issuer}${id}` === kid);
  });
  if (!listed) throw new Error(`${kid} is not listed under assertionMethod of ${issuer}`);
  const method = (await documentLoader(kid)).document as { type?: string; publicKeyMultibase?: string; publicKeyJwk?: Record<string, unknown> };
  if (method.publicKeyJwk?.kty === 'OKP' && method.publicKeyJwk.crv === 'Ed25519') return createPublicKey({ key: method.publicKeyJwk as never, format: 'jwk' });
  if (method.type !== 'Multikey' || typeof method.publicKeyMultibase !== 'string') throw new Error(`${kid} is not an Ed25519 key`);
  const x = Buffer.from(decodeMultikey(method.publicKeyMultibase, ED25519_PUBLIC_HEADER)).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/**
 * Opens an EnvelopedVerifiableCredential: the data URL, the JWS header, the issuer's key and the signature.
 * Returns the credential inside (its data model, validity and status are the verifier's business).
 */
export async function openEnvelopedCredential(envelope: Record<string, unknown>, documentLoader: DocumentLoader): Promise<Outcome> {
  if (!asArray(envelope['@context'] as unknown).includes(CONTEXT.credentialsV2))
    return refuse('malformed', `@context: an enveloped credential must include "${CONTEXT.credentialsV2}"`);
  if (typeof envelope.id !== 'string' || !envelope.id.startsWith(DATA_URL_PREFIX))
    return refuse('malformed', `id: must be a data: URL of type ${VC_JWT_MEDIA_TYPE} (data:${VC_JWT_MEDIA_TYPE},<jws>)`);
  const jws = envelope.id.slice(DATA_URL_PREFIX.length);
  const [h, p, s, ...rest] = jws.split('.');
  const header = decodePart(h);
  const payload = decodePart(p);
  if (!header || !payload || !s || rest.length > 0) return refuse('malformed', 'id: the data URL does not hold a compact JWS with a JSON header and payload');
  if (header.alg !== 'EdDSA') return refuse('invalid_proof', `the JWS algorithm ${JSON.stringify(header.alg)} is not supported (EdDSA only)`);
  if (header.typ !== undefined && header.typ !== 'vc+jwt') return refuse('malformed', `the JWS typ must be "vc+jwt" (found ${JSON.stringify(header.typ)})`);
  const issuer = idOf(payload.issuer);
  const kid = header.kid;
  if (!issuer) return refuse('malformed', 'issuer: the enveloped credential names no issuer');
  if (payload.iss !== undefined && payload.iss !== issuer) return refuse('invalid_proof', 'the JWS iss claim is not the credential issuer');
  if (typeof kid !== 'string' || kid.split('#')[0] !== issuer) return refuse('invalid_proof', `kid must be a verification method of the issuer ${issuer}`);
  let key: KeyObject;
  try {
    key = await assertionKey(kid, issuer, documentLoader);
  } catch (error) {
    return refuse('unresolvable_key', `cannot resolve the signing key ${kid}: ${(error as Error).message}`);
  }
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return refuse('invalid_proof', 'the JWS signature does not verify');
  return { verified: true, credential: payload as unknown as VerifiableCredential };
}
