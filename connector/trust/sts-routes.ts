import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';
import { clientAddress, createFailureLimiter } from '../http/failure-limiter.ts';
import { typeOfScope } from './scopes.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();
/** The lifetime createIdToken gives a self-issued token. */
const TOKEN_LIFETIME_S = 120;

/**
 * The Secure Token Service (DCP 1.0 §4.3.2, the OAuth 2 client credentials grant of the DCP's non-normative
 * STS API): this connector's own agents (and conformance tools acting for it) obtain a self-issued ID
 * token for an audience, carrying an access token to this connector's credential service for the scopes
 * in `bearer_access_scope`. `POST /sts/token`, form-encoded: `grant_type=client_credentials`,
 * `client_id` (this connector's DID), `client_secret` (its management API key), `audience`,
 * `bearer_access_scope` (optional, space-separated). Errors are OAuth error objects (RFC 6749 §5.2).
 */
export function stsRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  const expected = digest(ctx.apiKey);
  const limiter = createFailureLimiter();
  const oauthError = (status: 400 | 401 | 429, error: string, description: string) =>
    new Response(JSON.stringify({ error, error_description: description }), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });

  app.post('/sts/token', async (c) => {
    const client = clientAddress(c, ctx.config.trustProxy);
    const wait = limiter.retryAfter(client);
    if (wait > 0) return oauthError(429, 'slow_down', `too many failed attempts; retry in ${wait} s`);
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded'))
      return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    const form = new URLSearchParams(await c.req.text());
    const field = (name: string) => form.get(name) ?? undefined;
    if (field('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    const secret = field('client_secret');
    if (field('client_id') !== ctx.did || !secret || !timingSafeEqual(digest(secret), expected)) {
      limiter.fail(client);
      return oauthError(401, 'invalid_client', 'client_id must be this connector’s DID and client_secret its management API key');
    }
    limiter.succeed(client);
    const audience = field('audience');
    if (!audience?.startsWith('did:')) return oauthError(400, 'invalid_request', 'audience must be the DID the token is for');
    const scopes = (field('bearer_access_scope') ?? '').split(' ').filter(Boolean);
    const bad = scopes.find((s) => typeOfScope(s) === undefined);
    if (bad) return oauthError(400, 'invalid_scope', `${bad} is not of the form org.eclipse.dspace.dcp.vc.type:<Type>:read`);
    const token = await ctx.trust.selfIssuedToken(audience, scopes);
    ctx.logger.info('self-issued token handed out', { audience, scopes });
    return c.json({ access_token: token, token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S }, 200, { 'cache-control': 'no-store' });
  });
  return app;
}
