import type { GraphQLResponse, HeaderMap } from '@apollo/server';
import Negotiator from 'negotiator';
import { ErrorCode, HTTP_STATUS } from '../../kernel/errors';

/** Media types of a GraphQL response, in Apollo's order of preference (the legacy one first). */
const LEGACY_JSON = 'application/json';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';

/**
 * Request errors: the document or its variables are wrong, found before anything ran. Under the
 * legacy `application/json` media type the GraphQL-over-HTTP spec says 200 for these; only under
 * `application/graphql-response+json` (which every current client asks for) are they 400.
 */
const REQUEST_ERRORS = new Set<string>(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', ErrorCode.BAD_USER_INPUT]);

/**
 * Whether Apollo will answer `application/json`: no Accept header, or one that prefers it. The
 * same negotiation Apollo runs after the plugins (`chooseContentTypeForSingleResultResponse`),
 * with the same library, so the two cannot disagree.
 */
export function answersLegacyJson(headers: HeaderMap | undefined): boolean {
  const accept = headers?.get('accept');
  if (!accept) return true;
  return new Negotiator({ headers: { accept } }).mediaType([LEGACY_JSON, GRAPHQL_RESPONSE_JSON]) === LEGACY_JSON;
}

/**
 * The one place that decides the HTTP status of an operation. Field errors never set a status
 * themselves (in Apollo a single error's `http.status` would change the whole response);
 * instead: if any data came back, 200; if the errors left no data at all, the status of the first
 * error's code (FORBIDDEN → 403, BAD_USER_INPUT → 400, …). A request error answered as
 * `application/json` is 200, as the spec asks; 401, 403 and 429 stay what the seeds require.
 */
export function setResponseStatus(response: GraphQLResponse, requestHeaders?: HeaderMap): void {
  if (response.body.kind !== 'single') return;
  const { data, errors } = response.body.singleResult;
  if (!errors?.length) return;
  if (data === undefined) {
    // Not executed: Apollo (or a stage before execution) chose the status.
    const code = errors[0].extensions?.code;
    if (typeof code === 'string' && REQUEST_ERRORS.has(code) && answersLegacyJson(requestHeaders)) response.http.status = 200;
    return;
  }
  const hasData = data !== null && Object.values(data).some((v) => v !== null);
  if (hasData) {
    response.http.status = 200;
    return;
  }
  const code = errors[0].extensions?.code as ErrorCode | undefined;
  response.http.status = (code && HTTP_STATUS[code]) || 200;
}
