import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { checkPresentationDataModel, describeProblems, idOf, isObject } from './data-model.ts';
import { isCompactJwt, type JwtOutcome, openSigned, RELATIONSHIPS } from './jwt-credentials.ts';
import { asArray, type VerifiableCredential } from './model.ts';
import type { Rejection } from './verifier.ts';
import { envelopedCredential } from './vc-jose.ts';

/**
 * JOSE-secured presentations for the VC-API (VC-JOSE-COSE 1.0 §3.1.2): an EnvelopedVerifiablePresentation
 * whose id is `data:application/vp+jwt,<jws>`, or the compact JWS itself. The JWS payload is either the VCDM
 * 2.0 presentation (`typ: vp+jwt`, `cty: vp`), its credentials enveloped (`data:application/vc+jwt,…`), or a
 * VC-JWT 1.1 presentation (a `vp` claim, `iss` the holder, credentials as compact JWTs), as EDC and the W3C
 * suite's fixture send. Signed by a key of the holder (authentication, assertionMethod or capabilityInvocation),
 * EdDSA, ES256 or ES384 as its key says.
 */

export const VP_JWT_MEDIA_TYPE = 'application/vp+jwt';
/** The data URLs of an enveloped presentation: VC-JOSE's media type, or plain `application/jwt` (as the W3C suite's fixture). */
const DATA_URL = /^data:application\/(vp\+)?jwt,/;
const VC_DATA_URL = /^data:application\/(vc\+)?jwt,/;
const PRESENTATION_TYPS = new Set(['JWT', 'vp+jwt', 'vp-ld+jwt', VP_JWT_MEDIA_TYPE]);
const SKEW_S = 30;

export function isEnvelopedPresentation(value: unknown): boolean {
  return isObject(value) && asArray(value.type as unknown).includes('EnvelopedVerifiablePresentation');
}

export interface OpenedJosePresentation {
  holder: string;
  /** The presented credentials, each as verifyCredential takes it (an object, enveloped or not, or a compact JWT). */
  credentials: (VerifiableCredential | string)[];
}

const refuse = (code: Rejection['code'], message: string) => ({ verified: false as const, code, message });

/** The JWS an EnvelopedVerifiablePresentation or a compact string holds, or why there is none. */
function jwsOf(presentation: string | Record<string, unknown>): string | ({ verified: false } & Rejection) {
  if (typeof presentation === 'string') return isCompactJwt(presentation) ? presentation : refuse('malformed', 'a presentation given as a string must be a compact JWS');
  if (!asArray(presentation['@context'] as unknown).includes(CONTEXT.credentialsV2))
    return refuse('malformed', `@context: an enveloped presentation must include "${CONTEXT.credentialsV2}"`);
  const id = presentation.id;
  if (typeof id !== 'string' || !DATA_URL.test(id)) return refuse('malformed', `id: must be a data: URL of type ${VP_JWT_MEDIA_TYPE} (data:${VP_JWT_MEDIA_TYPE},<jws>)`);
  const jws = id.replace(DATA_URL, '');
  return isCompactJwt(jws) ? jws : refuse('malformed', 'id: the data URL does not hold a signed compact JWS');
}

/** A presented credential as the verifier takes it: a `data:application/vc+jwt,` string becomes its envelope. */
const asCredential = (c: unknown) => (typeof c === 'string' && VC_DATA_URL.test(c) ? envelopedCredential(c.replace(VC_DATA_URL, '')) : c) as VerifiableCredential | string;

/**
 * Whether a presentation not typed EnvelopedVerifiablePresentation has the data: URL id of one: VCDM 2.0 §4.13.2
 * makes that type a MUST of a presentation secured by enveloping, so such a document is refused.
 */
export function mistypedEnvelope(presentation: Record<string, unknown>): boolean {
  return typeof presentation.id === 'string' && DATA_URL.test(presentation.id) && !isEnvelopedPresentation(presentation);
}

/**
 * Opens a JOSE presentation: the envelope, the header, the holder's key and signature, the data model of a 2.0
 * payload, its times (`exp`, `nbf`, with 30 s leeway) and its binding: with a `challenge` the JWT's `nonce` must
 * be it, with a `domain` its `aud` must include it. Returns the holder and the credentials, unverified.
 */
export async function openJosePresentation(
  presentation: string | Record<string, unknown>,
  options: { documentLoader: DocumentLoader; challenge?: string; domain?: string; now?: number },
): Promise<JwtOutcome<OpenedJosePresentation>> {
  const jws = jwsOf(presentation);
  if (typeof jws !== 'string') return jws;
  const holderOf = (p: Record<string, unknown>) =>
    isObject(p.vp) ? (typeof p.iss === 'string' ? p.iss : idOf(p.vp.holder)) : (idOf(p.holder) ?? (typeof p.iss === 'string' ? p.iss : undefined));
  const opened = await openSigned(jws, holderOf, RELATIONSHIPS.presentation, options.documentLoader);
  if (!opened.verified) return opened;
  const { header, payload, signer } = opened;
  if (header.typ !== undefined && !PRESENTATION_TYPS.has(String(header.typ))) return refuse('malformed', `the JWS typ must be "vp+jwt" (found ${JSON.stringify(header.typ)})`);
  const vp = isObject(payload.vp) ? payload.vp : payload;
  if (vp === payload) {
    const problems = checkPresentationDataModel(payload, { versions: ['2.0'] });
    if (problems.length > 0) return refuse('malformed', describeProblems(problems));
  } else if (!asArray(vp.type as unknown).includes('VerifiablePresentation')) return refuse('malformed', 'vp.type must include VerifiablePresentation');
  if (vp.holder !== undefined && idOf(vp.holder) !== signer) return refuse('wrong_holder', `the presentation's holder is not its signer ${signer}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof payload.exp === 'number' && payload.exp < now - SKEW_S) return refuse('invalid_proof', 'the presentation has expired (exp)');
  if (typeof payload.nbf === 'number' && payload.nbf > now + SKEW_S) return refuse('invalid_proof', 'the presentation is not valid yet (nbf)');
  if (options.challenge !== undefined && payload.nonce !== options.challenge) return refuse('invalid_proof', 'the presentation was not made for this challenge (nonce)');
  if (options.domain !== undefined && !asArray(payload.aud as unknown).includes(options.domain))
    return refuse('invalid_proof', `the presentation is not for ${options.domain} (aud)`);
  return { verified: true, holder: signer, credentials: asArray(vp.verifiableCredential as unknown).map(asCredential) };
}
