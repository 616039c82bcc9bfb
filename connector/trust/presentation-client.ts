import type { ConnectorContext } from '../context.ts';
import { createIdToken, decodeJwt } from '../../contracts/credentials/id-token.ts';
import type { PresentationCheck } from '../../contracts/credentials/verifier.ts';
import type { VerifiablePresentation } from '../../contracts/credentials/model.ts';
import { DCP_CONTEXT } from './credential-service.ts';
import type { Caller } from './trust-services.ts';
import { typeOfScope } from './scopes.ts';
import { egressFor } from '../egress/connector-egress.ts';
import { discardBody, readBoundedJson } from '../egress/bounded-body.ts';
import { EgressError } from '../egress/egress-error.ts';
import { noCredentials } from './peer-identity.ts';

/** A presentation of a few credentials; status lists are fetched separately. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** What the peer is told: fixed reasons, never what a DID document or credential service answered. */
export const PRESENTATION_REFUSAL = {
  unresolved: "the caller's DID document could not be resolved",
  noService: "the caller's DID document announces no CredentialService",
  noAnswer: 'the credential service did not answer with a valid presentation',
  missing: 'the presentation lacks a requested credential',
} as const;

/**
 * Asks an authenticated caller's credential service for its credentials in `scopes` and verifies what
 * comes back: a presentation by the caller, for this connector, for this very request, with every
 * credential trusted, valid and unrevoked. A caller without an access token or credential service, or an
 * answer that does not verify, is a refusal with a fixed reason, never an empty set of claims. The request
 * goes through the connector's egress guard; our log keeps a short note (status, length), no answer text.
 */
export async function fetchCallerCredentials(
  ctx: Pick<ConnectorContext, 'did' | 'didResolver' | 'trust' | 'logger' | 'config' | 'peerIdentity'>,
  caller: Caller,
  scopes: string[],
  options: { requireAll?: boolean } = {},
): Promise<PresentationCheck> {
  const refuse = (message: string, note?: Record<string, unknown>): PresentationCheck => {
    if (note) ctx.logger.warn('credential request failed', { caller: caller.did, ...note });
    return { verified: false, code: 'status_unavailable', message };
  };
  if (ctx.peerIdentity?.knows(caller.did)) return noCredentials(caller.did);
  if (!caller.accessToken) return { verified: false, code: 'wrong_holder', message: 'the caller gave no access token to its credential service' };
  let endpoint: string | undefined;
  try {
    const doc = await ctx.didResolver.resolve(caller.did);
    const service = (doc.service ?? []).find((s) => s.type === 'CredentialService');
    endpoint = typeof service?.serviceEndpoint === 'string' ? service.serviceEndpoint : undefined;
  } catch (error) {
    return refuse(PRESENTATION_REFUSAL.unresolved, { problem: (error as Error).message });
  }
  if (!endpoint) return refuse(PRESENTATION_REFUSAL.noService);

  const { keyId, privateKey } = ctx.trust.jwtKey;
  const token = await createIdToken({ issuer: ctx.did, keyId, privateKey, audience: caller.did, accessToken: caller.accessToken });
  const challenge = decodeJwt(token).claims.jti as string;
  let body: { type?: string; presentation?: (VerifiablePresentation | string)[] };
  try {
    const response = await egressFor(ctx.config)(`${endpoint.replace(/\/+$/, '')}/presentations/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP_CONTEXT], type: 'PresentationQueryMessage', scope: scopes }),
      timeoutMs: 10_000,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      redirect: 'error',
    });
    if (!response.ok) {
      await discardBody(response);
      return refuse(PRESENTATION_REFUSAL.noAnswer, { status: response.status, length: response.headers.get('content-length') ?? undefined });
    }
    body = (await readBoundedJson(response, MAX_RESPONSE_BYTES)) as typeof body;
  } catch (error) {
    return refuse(PRESENTATION_REFUSAL.noAnswer, { problem: error instanceof EgressError ? error.message : (error as Error).name });
  }
  const presentations = Array.isArray(body?.presentation) ? body.presentation : [];
  if (body?.type !== 'PresentationResponseMessage' || presentations.length === 0 || presentations.length > 8)
    return refuse(PRESENTATION_REFUSAL.noAnswer, { problem: 'not a PresentationResponseMessage with 1 to 8 presentations' });
  // Data Integrity presentations or JWT presentations (EDC answers with one vp+jwt per credential format); all must verify.
  const merged: PresentationCheck & { verified: true } = { verified: true, holder: caller.did, credentials: [], presented: [] };
  for (const presentation of presentations) {
    const result = await ctx.trust.verifier.verifyPresentation(presentation, { challenge, domain: ctx.did, expectedHolder: caller.did });
    if (!result.verified) return result;
    merged.credentials.push(...result.credentials);
    merged.presented.push(...result.presented);
  }
  // DCP 1.0 §5.4.2 (requireAll): every requested credential type must be there (more is fine, fewer a refusal).
  // Without it the caller's policy judges what is missing and says so in its own terms.
  const missing = scopes.map(typeOfScope).filter((type) => type !== undefined && !merged.credentials.some((c) => c.type.includes(type)));
  if (options.requireAll && missing.length > 0) return { verified: false, code: 'missing_credential', message: `${PRESENTATION_REFUSAL.missing}: ${missing.join(', ')}` };
  return merged;
}
