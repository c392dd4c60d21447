import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { isDatabaseTimeout, isDatabaseUnavailable } from '../db/errors';
import { AppError, ErrorCode } from '../kernel/errors';

/** The request an error belongs to: its id, and the first error's code and reason (for metrics). */
export interface ErrorScope {
  readonly id: string;
  code?: string;
  reason?: string;
}

/**
 * What leaves the server: known errors keep their code and extensions; anything else becomes a
 * bare INTERNAL_SERVER_ERROR so no stack trace, SQL or driver message reaches a client. Every
 * error carries the request's id (`extensions.requestId`, also the `x-request-id` header and the
 * `reqId` of its log lines), whichever way Apollo produced it: context failures and malformed
 * HTTP requests come through here too, where no plugin runs.
 */
export function createFormatError(log: (error: unknown) => void, scope: () => ErrorScope | undefined = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error, log);
    const current = scope();
    if (!current) return result;
    current.code ??= result.extensions?.code as string | undefined;
    current.reason ??= result.extensions?.reason as string | undefined;
    return { ...result, extensions: { ...result.extensions, requestId: current.id } };
  };
}

function format(formatted: GraphQLFormattedError, error: unknown, log: (error: unknown) => void): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const { stacktrace: _stack, http: _http, ...extensions } = formatted.extensions ?? {};
  if (original instanceof AppError) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // graphql-js and Apollo's own client errors (parse, validation, variable coercion) carry a
  // client-facing code already; only unclassified errors are internal.
  const code = extensions.code as string | undefined;
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  // Apollo refuses some malformed requests (a persisted-query hash that does not match its
  // query, say) with a 4xx status but no code: they are the client's error, not ours.
  const status = (original as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
  if (status !== undefined && status >= 400 && status < 500) {
    return { message: formatted.message, extensions: { code: ErrorCode.BAD_REQUEST } };
  }
  if (isDatabaseTimeout(original)) {
    return {
      message: 'The database did not answer in time; try again shortly.',
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  if (isDatabaseUnavailable(original)) {
    return {
      message: 'The database is unreachable; try again shortly.',
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    };
  }
  log(original);
  return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
