import { AuthFailureReason, ErrorCode } from '../../kernel/errors';
import type { RequestScope } from '../request-scope';

const REASONS = new Set<string>(Object.values(AuthFailureReason));
/** Errors of the request itself (its document or variables), answered 200 under application/json. */
const REQUEST_ERRORS = new Set<string>(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', ErrorCode.BAD_USER_INPUT]);

/**
 * The `outcome` label of a completed GraphQL request, from a bounded set: `ok`; `partial` (data
 * and errors); `unauthenticated_<reason>` (each 401 reason, lower case); `forbidden` (403);
 * `rate_limited` (429); `client_error` (any other 4xx, and request errors answered 200);
 * `server_error` (5xx).
 */
export function outcomeOf(status: number, scope: Pick<RequestScope, 'code' | 'reason'> | undefined): string {
  if (status === 401)
    return scope?.reason && REASONS.has(scope.reason) ? `unauthenticated_${scope.reason.toLowerCase()}` : 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  if (!scope?.code) return 'ok';
  return REQUEST_ERRORS.has(scope.code) ? 'client_error' : 'partial';
}
