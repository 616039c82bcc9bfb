import type { Context, MiddlewareHandler } from 'hono';
import { TokenError } from '../../contracts/credentials/id-token.ts';
import type { Caller, TrustServices } from './trust-services.ts';
import type { Logger } from '../logger.ts';
import { clientAddress, createFailureLimiter, type FailureLimiter } from '../http/failure-limiter.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The authenticated peer, set by requireCaller on DSP and DCP routes. */
    caller: Caller;
  }
}

/** How a protocol answers a caller it could not authenticate (each DSP protocol has its own error object). */
export type UnauthenticatedResponse = (c: Context, reason: string) => Response | Promise<Response>;

export interface RequireCallerOptions {
  /** Take the client address from X-Forwarded-For (config `trustProxy`). */
  trustProxy?: boolean;
  /** Where refusals are noted, with the resolution detail the caller is not told. */
  logger?: Logger;
}

// One back-off per connector (its trust services), shared by every route group that authenticates peers.
const limiters = new WeakMap<TrustServices, FailureLimiter>();
function limiterOf(trust: TrustServices): FailureLimiter {
  const limiter = limiters.get(trust) ?? createFailureLimiter({ maxFailures: 20 });
  limiters.set(trust, limiter);
  return limiter;
}

/** The protocol's own error object (its code made "429"), with the status 429 and Retry-After. */
async function tooMany(c: Context, unauthenticated: UnauthenticatedResponse, seconds: number): Promise<Response> {
  const answer = await unauthenticated(c, `too many failed authentication attempts; try again in ${seconds} s`);
  const body = (await answer.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (body && typeof body.code === 'string') body.code = '429';
  const headers = new Headers(answer.headers);
  headers.set('Retry-After', String(seconds));
  headers.delete('WWW-Authenticate');
  headers.delete('content-length');
  return new Response(JSON.stringify(body ?? {}), { status: 429, headers });
}

/**
 * Authenticates peer-to-peer calls: the Authorization header must hold a self-issued ID token signed with
 * the caller's DID key, for this connector's DID, unexpired and never seen before. The caller is then
 * available as `c.get('caller')`. A refusal says why in the token's terms; what resolving the caller's DID
 * answered stays in our log (it would tell a prober which internal ports answer). A client whose tokens
 * keep failing is answered 429 with Retry-After before any DID is resolved for it.
 */
export function requireCaller(trust: TrustServices, unauthenticated: UnauthenticatedResponse, options: RequireCallerOptions = {}): MiddlewareHandler {
  const limiter = limiterOf(trust);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="dataspace"');
      return unauthenticated(c, 'a self-issued ID token is required in the Authorization header');
    }
    const client = clientAddress(c, options.trustProxy);
    const wait = limiter.retryAfter(client);
    if (wait > 0) return tooMany(c, unauthenticated, wait);
    try {
      c.set('caller', await trust.authenticate(header));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      limiter.fail(client);
      options.logger?.info('peer authentication refused', { requestId: c.get('requestId'), code: error.code, ...(error.detail ? { detail: error.detail.slice(0, 300) } : {}) });
      c.header('WWW-Authenticate', `Bearer realm="dataspace", error="invalid_token"`);
      return unauthenticated(c, `${error.code}: ${error.message}`);
    }
    limiter.succeed(client);
    await next();
  };
}
