import type { IncomingHttpHeaders } from 'node:http';
import { AuthFailureReason, UnauthenticatedError } from '../kernel/errors';
import type { KeyFormat } from './key-format';

export type Credentials = { kind: 'apiKey'; key: string } | { kind: 'session'; token: string };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads credentials from the three accepted header forms:
 *   x-api-key: <key>
 *   Authorization: Bearer <key or session token>
 *   Authorization: x-api-key <key>
 * A Bearer value is a key when it carries the key prefix, and a session token otherwise. Shape and
 * checksum are verified here, so a malformed key never costs a database query.
 */
export function readCredentials(headers: IncomingHttpHeaders, keyFormat: KeyFormat): Credentials {
  // An empty x-api-key (GraphiQL's placeholder) counts as absent, not as a malformed key.
  const apiKeyHeader = single(headers['x-api-key'])?.trim();
  if (apiKeyHeader) return apiKey(apiKeyHeader, keyFormat);

  const authorization = single(headers.authorization)?.trim();
  if (!authorization) throw new UnauthenticatedError(AuthFailureReason.MISSING);

  const match = /^(\S+)\s+(\S+)$/.exec(authorization);
  if (!match) throw new UnauthenticatedError(AuthFailureReason.MALFORMED);
  const [, scheme, value] = match;
  switch (scheme.toLowerCase()) {
    case 'x-api-key':
      return apiKey(value, keyFormat);
    case 'bearer':
      return keyFormat.hasKeyPrefix(value) ? apiKey(value, keyFormat) : { kind: 'session', token: value };
    default:
      throw new UnauthenticatedError(AuthFailureReason.MALFORMED);
  }
}

function apiKey(value: string, keyFormat: KeyFormat): Credentials {
  if (!keyFormat.isWellFormed(value)) throw new UnauthenticatedError(AuthFailureReason.MALFORMED);
  return { kind: 'apiKey', key: value };
}

export function hasCredentials(headers: IncomingHttpHeaders): boolean {
  return Boolean(single(headers['x-api-key'])?.trim() || single(headers.authorization)?.trim());
}
