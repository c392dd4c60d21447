import type { FastifyBaseLogger } from 'fastify';
import type { OpenBudget } from '../db/request-budget';
import type { ErrorScope } from '../graphql/format-error';

/**
 * What the GraphQL route knows of the request being served: its id and logger, its database
 * budget with the view of the data source its work runs on, the first error's code and reason,
 * and the operation's label for metrics. One per `/graphql` request, carried explicitly: on the
 * HTTP request handed to Apollo (so the pipeline's plugin finds it from any hook), and on the
 * caller of its context (the budget's view, `Caller.db`).
 */
export interface RequestScope extends ErrorScope {
  readonly log: FastifyBaseLogger;
  readonly database: OpenBudget;
  /** The bounded label of the operation (graphql/pipeline/operation-label.ts), once resolved. */
  operation?: string;
}

const SCOPE = Symbol('keygate.requestScope');

/** Marks the HTTP request Apollo is given as this scope's. */
export function attachScope<T extends object>(httpRequest: T, scope: RequestScope): T {
  (httpRequest as { [SCOPE]?: RequestScope })[SCOPE] = scope;
  return httpRequest;
}

/** The scope of the HTTP request Apollo was given (`requestContext.request.http`), if it has one. */
export function scopeOf(httpRequest: object | undefined): RequestScope | undefined {
  return (httpRequest as { [SCOPE]?: RequestScope } | undefined)?.[SCOPE];
}
