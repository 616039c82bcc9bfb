import { developmentEgress } from '../egress/connector-egress.ts';
import type { EgressInit } from '../egress/egress-guard.ts';

/** DSP messages and their answers are small JSON; a catalog page may ask for more (maxResponseBytes). */
export const DSP_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * How this connector sends DSP and DCP requests to a peer. Every outgoing call names the peer's DID (the
 * audience) so the trust layer can attach a self-issued ID token bound to it; callers never build
 * authentication headers themselves.
 */
export interface DspRequest {
  url: string;
  /** DID of the connector that will receive the request (the token's audience). */
  audienceDid: string;
  method?: 'GET' | 'POST' | 'PUT';
  /** JSON body; sent as application/json. */
  body?: unknown;
  /** Extra headers (accept, …). */
  headers?: Record<string, string>;
  /** Credential scopes the callee may ask this connector's credential service for (DCP). */
  scopes?: string[];
  /**
   * An access token to carry in the ID token's `token` claim as it is, instead of one minted for `scopes`:
   * the issuer service hands the holder's own token back with its CredentialMessage (DCP 1.0 §6.4).
   */
  accessToken?: string;
  timeoutMs?: number;
  /** Longer answers are cut off with an EgressError while they stream. Default DSP_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

export type DspFetch = (request: DspRequest) => Promise<Response>;

/**
 * Builds the fetch call of a DSP request; the trust layer wraps this with its Authorization header.
 * `fetchFn` is the connector's egress guard (egress/connector-egress.ts), so a callbackAddress with another
 * scheme or an address the policy forbids is never contacted; the default is the development policy.
 */
export function dspFetchWith(authorization: (request: DspRequest) => Promise<string | undefined>, fetchFn: typeof fetch = developmentEgress()): DspFetch {
  return async (request) => {
    const headers = new Headers(request.headers);
    if (request.body !== undefined) headers.set('content-type', 'application/json');
    const token = await authorization(request);
    if (token) headers.set('authorization', token);
    return fetchFn(request.url, {
      method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
      redirect: 'error',
      maxResponseBytes: request.maxResponseBytes ?? DSP_MAX_RESPONSE_BYTES,
    } as EgressInit);
  };
}
