import type { ConnectorContext } from '../context.ts';
import { createIdToken, decodeJwt } from '../../contracts/credentials/id-token.ts';
import type { PresentationCheck } from '../../contracts/credentials/verifier.ts';
import type { VerifiablePresentation } from '../../contracts/credentials/model.ts';
import { DCP_CONTEXT } from './credential-service.ts';
import type { Caller } from './trust-services.ts';

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Asks an authenticated caller's credential service for its credentials in `scopes` and verifies what
 * comes back: a presentation by the caller, for this connector, for this very request, with every
 * credential trusted, valid and unrevoked. A caller without an access token or credential service, or an
 * answer that does not verify, is a refusal with its reason, never an empty set of claims.
 */
export async function fetchCallerCredentials(ctx: Pick<ConnectorContext, 'did' | 'keyId' | 'key' | 'didResolver' | 'trust' | 'logger'>, caller: Caller, scopes: string[]): Promise<PresentationCheck> {
  const refuse = (message: string): PresentationCheck => ({ verified: false, code: 'status_unavailable', message });
  if (!caller.accessToken) return { verified: false, code: 'wrong_holder', message: 'the caller gave no access token to its credential service' };
  let endpoint: string | undefined;
  try {
    const doc = await ctx.didResolver.resolve(caller.did);
    const service = (doc.service ?? []).find((s) => s.type === 'CredentialService');
    endpoint = typeof service?.serviceEndpoint === 'string' ? service.serviceEndpoint : undefined;
  } catch (error) {
    return refuse(`cannot resolve ${caller.did}: ${(error as Error).message}`);
  }
  if (!endpoint) return refuse(`${caller.did} announces no CredentialService`);

  const token = createIdToken({ issuer: ctx.did, keyId: ctx.keyId, privateKey: ctx.key.privateKey, audience: caller.did, accessToken: caller.accessToken });
  const challenge = decodeJwt(token).claims.jti as string;
  let body: { type?: string; presentation?: VerifiablePresentation[] };
  try {
    const response = await fetch(`${endpoint.replace(/\/+$/, '')}/presentations/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP_CONTEXT], type: 'PresentationQueryMessage', scope: scopes }),
      signal: AbortSignal.timeout(10_000),
      redirect: 'error',
    });
    const text = await response.text();
    if (!response.ok) return refuse(`the credential service of ${caller.did} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
    if (text.length > MAX_RESPONSE_BYTES) return refuse(`the credential service of ${caller.did} answered too much`);
    body = JSON.parse(text);
  } catch (error) {
    return refuse(`the credential service of ${caller.did} is unreachable or answered garbage (${(error as Error).message})`);
  }
  const presentations = Array.isArray(body.presentation) ? body.presentation : [];
  if (body.type !== 'PresentationResponseMessage' || presentations.length !== 1) return refuse('the answer is not a PresentationResponseMessage with one presentation');
  return ctx.trust.verifier.verifyPresentation(presentations[0]!, { challenge, domain: ctx.did, expectedHolder: caller.did });
}
