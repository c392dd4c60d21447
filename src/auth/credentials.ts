import type { IncomingHttpHeaders } from 'node:http';
import { AuthFailureReason, UnauthenticatedError } from '../kernel/errors';
import { CSRF_HEADER, csrfMatches, SESSION_COOKIE } from './browser-sessions';
import type { KeyFormat } from './key-format';

/**
 * What a request presents. Sessions (a bearer token, or the console's cookie) name a person, who
 * may belong to several organizations: `org` is the one the request picked (`x-keygate-org`).
 */
export type Credentials =
  | { kind: 'apiKey'; key: string }
  | { kind: 'session'; token: string; org: string | null }
  | { kind: 'browser'; token: string; org: string | null };

export type Cookies = Record<string, string | undefined> | undefined;

export const ORG_HEADER = 'x-keygate-org';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads credentials from the three accepted header forms:
 *   x-api-key: <key>
 *   Authorization: Bearer <key or session token>
 *   Authorization: x-api-key <key>
 * and, from the console, the `keygate_session` cookie with its `x-keygate-csrf` header.
 * A Bearer value is a key when it carries the key prefix, and a session token otherwise. Shape and
 * checksum are verified here, so a malformed key never costs a database query.
 */
export function readCredentials(headers: IncomingHttpHeaders, keyFormat: KeyFormat, cookies?: Cookies): Credentials {
  // An empty x-api-key (GraphiQL's placeholder) counts as absent, not as a malformed key.
  const apiKeyHeader = single(headers['x-api-key'])?.trim();
  if (apiKeyHeader) return apiKey(apiKeyHeader, keyFormat);

  const org = single(headers[ORG_HEADER])?.trim() || null;
  const authorization = single(headers.authorization)?.trim();
  if (!authorization) {
    const cookie = cookies?.[SESSION_COOKIE];
    if (!cookie) throw new UnauthenticatedError(AuthFailureReason.MISSING);
    // The cookie alone proves nothing: any page can make the browser send it. The header proves
    // the request comes from a page that could read keygate's own cookies.
    if (!csrfMatches(cookie, single(headers[CSRF_HEADER]))) throw new UnauthenticatedError(AuthFailureReason.CSRF);
    return { kind: 'browser', token: cookie, org };
  }

  const match = /^(\S+)\s+(\S+)$/.exec(authorization);
  if (!match) throw new UnauthenticatedError(AuthFailureReason.MALFORMED);
  const [, scheme, value] = match;
  switch (scheme.toLowerCase()) {
    case 'x-api-key':
      return apiKey(value, keyFormat);
    case 'bearer':
      return keyFormat.hasKeyPrefix(value) ? apiKey(value, keyFormat) : { kind: 'session', token: value, org };
    default:
      throw new UnauthenticatedError(AuthFailureReason.UNSUPPORTED_SCHEME);
  }
}

function apiKey(value: string, keyFormat: KeyFormat): Credentials {
  if (!keyFormat.isWellFormed(value)) throw new UnauthenticatedError(AuthFailureReason.MALFORMED);
  return { kind: 'apiKey', key: value };
}

export function hasCredentials(headers: IncomingHttpHeaders, cookies?: Cookies): boolean {
  return Boolean(single(headers['x-api-key'])?.trim() || single(headers.authorization)?.trim() || cookies?.[SESSION_COOKIE]);
}
