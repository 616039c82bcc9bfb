import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';

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

export async function startSession(c: Context, apiKey: string, now = Date.now()): Promise<void> {
  const expires = new Date(now + SESSION_HOURS * 3_600_000);
  await setSignedCookie(c, SESSION_COOKIE, String(expires.getTime()), secretFor(apiKey), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
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
