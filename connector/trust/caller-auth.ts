import type { Context, MiddlewareHandler } from 'hono';
import { TokenError } from '../../contracts/credentials/id-token.ts';
import type { Caller, TrustServices } from './trust-services.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The authenticated peer, set by requireCaller on DSP and DCP routes. */
    caller: Caller;
  }
}

/** How a protocol answers a caller it could not authenticate (each DSP protocol has its own error object). */
export type UnauthenticatedResponse = (c: Context, reason: string) => Response | Promise<Response>;

/**
 * Authenticates peer-to-peer calls: the Authorization header must hold a self-issued ID token signed with
 * the caller's DID key, for this connector's DID, unexpired and never seen before. The caller is then
 * available as `c.get('caller')`.
 */
export function requireCaller(trust: TrustServices, unauthenticated: UnauthenticatedResponse): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="dataspace"');
      return unauthenticated(c, 'a self-issued ID token is required in the Authorization header');
    }
    try {
      c.set('caller', await trust.authenticate(header));
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      c.header('WWW-Authenticate', `Bearer realm="dataspace", error="invalid_token"`);
      return unauthenticated(c, `${error.code}: ${error.message}`);
    }
    await next();
  };
}
