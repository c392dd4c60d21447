import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorScope } from '../graphql/format-error';

/**
 * What the GraphQL route knows of the request being served, wherever Apollo calls back without
 * it (formatError, the pipeline's plugin): its id and logger, the first error's code and reason,
 * and the operation's label for metrics. One per `/graphql` request, in an AsyncLocalStorage.
 */
export interface RequestScope extends ErrorScope {
  readonly log: FastifyBaseLogger;
  /** The bounded label of the operation (graphql/pipeline/operation-label.ts), once resolved. */
  operation?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const currentScope = (): RequestScope | undefined => storage.getStore();

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}
