import type { FastifyBaseLogger } from 'fastify';
import { currentRequestBudget } from '../db/request-budget';
import type { ErrorScope } from '../graphql/format-error';

/**
 * What the GraphQL route knows of the request being served, wherever Apollo calls back without
 * it (formatError, the pipeline's plugin): its id and logger, the first error's code and reason,
 * and the operation's label for metrics. One per `/graphql` request, carried with its database
 * budget (db/request-budget.ts): one AsyncLocalStorage for both.
 */
export interface RequestScope extends ErrorScope {
  readonly log: FastifyBaseLogger;
  /** The bounded label of the operation (graphql/pipeline/operation-label.ts), once resolved. */
  operation?: string;
}

export const currentScope = (): RequestScope | undefined => currentRequestBudget()?.request as RequestScope | undefined;
