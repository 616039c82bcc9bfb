/**
 * How this connector sends DSP and DCP requests to a peer. Every outgoing call names the peer's DID (the
 * audience) so the trust layer can attach a self-issued ID token bound to it; callers never build
 * authentication headers themselves.
 */
export interface DspRequest {
  url: string;
  /** DID of the connector that will receive the request (the token's audience). */
  audienceDid: string;
  method?: 'GET' | 'POST';
  /** JSON body; sent as application/json. */
  body?: unknown;
  /** Extra headers (accept, …). */
  headers?: Record<string, string>;
  /** Credential scopes the callee may ask this connector's credential service for (DCP). */
  scopes?: string[];
  timeoutMs?: number;
}

export type DspFetch = (request: DspRequest) => Promise<Response>;

/** Builds the fetch call of a DSP request; the trust layer wraps this with its Authorization header. */
export function dspFetchWith(authorization: (request: DspRequest) => Promise<string | undefined>, fetchFn: typeof fetch = fetch): DspFetch {
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
    });
  };
}
