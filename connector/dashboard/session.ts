import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { createFailureLimiter, limitFailures, type FailureLimiter } from '../http/failure-limiter.ts';

/**
 * The dashboard's browser session: after the operator enters the management API key once, a signed,
 * HttpOnly, SameSite=Strict cookie carries an expiry. The signing secret derives from the API key, so
 * rotating the key ends every session.
 */
export const SESSION_COOKIE = 'hdc_session';
const SESSION_HOURS = 8;

function secretFor(apiKey: string): string {
  return createHash('sha256').update(`dashboard-session:${apiKey}`).digest('base64url');
}

export function apiKeyMatches(apiKey: string, presented: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(apiKey), digest(presented));
}

/**
 * Whether the cookie is marked Secure: when the connector is published over https (its public URL), which
 * holds behind a TLS-terminating proxy too, where the request itself arrives over http. Without a public
 * URL, the request's scheme or the proxy's X-Forwarded-Proto decides: adding Secure can only ever make a
 * cookie safer, so that header need not be trusted.
 */
export function secureCookie(c: Context, publicUrl?: string): boolean {
  // Marking a cookie Secure only ever restricts it, so any sign of TLS in front of us is enough.
  if (publicUrl && new URL(publicUrl).protocol === 'https:') return true;
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

export async function startSession(c: Context, apiKey: string, now = Date.now(), publicUrl?: string): Promise<void> {
  const expires = new Date(now + SESSION_HOURS * 3_600_000);
  await setSignedCookie(c, SESSION_COOKIE, String(expires.getTime()), secretFor(apiKey), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: secureCookie(c, publicUrl),
    path: '/',
    expires,
  });
}

export async function hasSession(c: Context, apiKey: string, now = Date.now()): Promise<boolean> {
  const value = await getSignedCookie(c, secretFor(apiKey), SESSION_COOKIE);
  return typeof value === 'string' && Number(value) > now;
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/**
 * Back-off for the sign-in form, mounted on POST /login: a failed sign-in is the form's redirect back with
 * `login=failed`; after too many, the client gets 429 with Retry-After, whatever key it enters.
 *
 * @example
 * app.use('/login', signInLimit({ trustProxy: ctx.config.trustProxy }));
 */
export function signInLimit(options: { trustProxy?: boolean; limiter?: FailureLimiter } = {}): MiddlewareHandler {
  const limit = limitFailures({
    limiter: options.limiter ?? createFailureLimiter(),
    trustProxy: options.trustProxy,
    failed: (c) => c.res.status === 303 && (c.res.headers.get('location') ?? '').includes('login=failed'),
    tooMany: (c, seconds) => c.text(`Too many failed sign-ins; try again in ${seconds} s`, 429),
  });
  return (c, next) => (c.req.method === 'POST' ? limit(c, next) : next());
}
