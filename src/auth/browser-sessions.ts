import { createHash, timingSafeEqual } from 'node:crypto';

/** The console's cookies and header. */
export const SESSION_COOKIE = 'keygate_session';
export const CSRF_COOKIE = 'keygate_csrf';
export const CSRF_HEADER = 'x-keygate-csrf';

/** A sign-in link works once, within this time: long enough to start keygate and open the console. */
export const SIGN_IN_LINK_TTL_SECONDS = 3600;

/**
 * The CSRF token a browser session must echo in `x-keygate-csrf`. Derived from the session token
 * (not stored): a page on another origin can make the browser send the HttpOnly session cookie,
 * but cannot read the `keygate_csrf` cookie to copy it into a header.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('keygate-csrf\0').update(sessionToken).digest('base64url');
}

export function csrfMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
