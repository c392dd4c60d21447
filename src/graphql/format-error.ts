import { randomBytes } from 'node:crypto';
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
 * What formatError writes as `extensions.requestId`. Apollo calls formatError without the
 * request, and keygate keeps no AsyncLocalStorage to find it (db/request-budget.ts says why), so
 * the route puts the request's id in this placeholder's place in the serialized answer
 * (http/apollo-handler.ts). Random per process: no answer's data can hold it by chance, and
 * no client can learn it, as every answer has it replaced.
 */
export const REQUEST_ID_SLOT = `kg-request-id-${randomBytes(12).toString('hex')}`;

let errorsFormatted = 0;

/**
 * How many errors formatError has shaped in this process so far: an answer needs its placeholder
 * replaced only if this moved while it was made (so a 10 KB page without errors is not searched).
 */
export const formattedErrorCount = (): number => errorsFormatted;

/** Unexpected errors already logged with their request's logger (see reportUnexpected): formatError logs the others. */
const reported = new WeakSet<object>();

/**
 * Logs `error` with the request's own logger (its line carries `reqId`) when it is an
 * unexpected one, the kind formatError turns into a bare INTERNAL_SERVER_ERROR; returns whether it did.
 */
export function reportUnexpected(error: unknown, log: (error: unknown) => void): boolean {
  const original = unwrapResolverError(error);
  const extensions = (error as { extensions?: Record<string, unknown> } | null)?.extensions ?? {};
  if (!isUnexpected(extensions, original)) return false;
  if (typeof original === 'object' && original !== null) {
    if (reported.has(original)) return true;
    reported.add(original);
  }
  log(original);
  return true;
}

/**
 * What leaves the server: known errors keep their code and extensions; anything else becomes a
 * bare INTERNAL_SERVER_ERROR so no stack trace, SQL or driver message reaches a client. Every
 * error carries the request's id (`extensions.requestId`, also the `x-request-id` header and the
 * `reqId` of its log lines), whichever way Apollo produced it: context failures and malformed
 * HTTP requests come through here too, where no plugin runs. `log` hears unexpected errors no
 * one has reported with their request (reportUnexpected).
 */
export function createFormatError(log: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    errorsFormatted++;
    const result = format(formatted, error, (original) => {
      // Apollo wraps an error thrown while building the context in a GraphQLError of its own.
      const inner = (original as { originalError?: unknown } | null)?.originalError;
      if (!isReported(original) && !isReported(inner)) log(original);
    });
    return { ...result, extensions: { ...result.extensions, requestId: REQUEST_ID_SLOT } };
  };
}

function isReported(error: unknown): boolean {
  return typeof error === 'object' && error !== null && reported.has(error);
}

/** Whether an error is none of the kinds a client is told about (format's last case). */
function isUnexpected(extensions: Record<string, unknown>, original: unknown): boolean {
  if (original instanceof AppError) return false;
  const code = extensions.code as string | undefined;
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) return false;
  const status = (original as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
  if (status !== undefined && status >= 400 && status < 500) return false;
  return !isDatabaseTimeout(original) && !isDatabaseUnavailable(original);
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
