import type { GraphQLResponse } from '@apollo/server';
import { ErrorCode, HTTP_STATUS } from '../../kernel/errors';

/**
 * The one place that decides the HTTP status of an executed operation. Field errors never set a
 * status themselves (in Apollo a single error's `http.status` would change the whole response);
 * instead: if any data came back, 200; if the errors left no data at all, the status of the first
 * error's code (FORBIDDEN → 403, BAD_USER_INPUT → 400, …).
 */
export function setResponseStatus(response: GraphQLResponse): void {
  if (response.body.kind !== 'single') return;
  const { data, errors } = response.body.singleResult;
  // Not executed (parse/validation/auth failures): Apollo already chose the status.
  if (!errors?.length || data === undefined) return;
  const hasData = data !== null && Object.values(data).some((v) => v !== null);
  if (hasData) {
    response.http.status = 200;
    return;
  }
  const code = errors[0].extensions?.code as ErrorCode | undefined;
  response.http.status = (code && HTTP_STATUS[code]) || 200;
}
