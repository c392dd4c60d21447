import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { formattedErrorCount, REQUEST_ID_SLOT } from '../graphql/format-error';
import { queryString } from '../kernel/query-string';
import { attachScope, type RequestScope } from './request-scope';

/**
 * Runs one `/graphql` request through Apollo and writes its answer. This is what
 * @as-integrations/fastify's handler does, written here because keygate needs what it does not:
 * the request's scope on the HTTP request Apollo is given (its plugins find it there), the
 * request's id put into its errors (format-error.ts's REQUEST_ID_SLOT), and no `new URL` per
 * request — the integration built one only to read the query string, and one that throws on a
 * Host that is no host was a 500 (graphql.route.ts refuses such a Host first).
 */
export function apolloHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (request: FastifyRequest, reply: FastifyReply, scope: RequestScope) => Promise<C>,
  /** Whether anyone reads the first error's code and reason from the scope (metrics, traces). */
  noteFirstError: boolean,
) {
  apollo.assertStarted('apolloHandler()');
  return async (request: FastifyRequest, reply: FastifyReply, scope: RequestScope): Promise<string | FastifyReply> => {
    const formattedBefore = formattedErrorCount();
    const { headers, body, status } = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: attachScope(graphQLRequestOf(request), scope),
      context: () => context(request, reply, scope),
    });
    for (const [name, value] of headers) reply.header(name, value);
    reply.code(status ?? 200);
    if (body.kind !== 'complete') return reply.send(Readable.from(body.asyncIterator));
    // No error was formatted anywhere meanwhile: this answer has none, nor a placeholder to replace.
    if (formattedErrorCount() === formattedBefore) return body.string;
    return withRequestId(body.string, scope, noteFirstError);
  };
}

/** The request as Apollo reads it: method, headers (repeated ones joined), query string, parsed body. */
function graphQLRequestOf(request: FastifyRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  const raw = request.headers;
  for (const name in raw) {
    const value = raw[name];
    if (value) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return { method: request.method, headers, search: queryString(request.url), body: request.body };
}

/**
 * The answer with the request's id in every error, and the first error's code and reason noted
 * for metrics. Ids are `[A-Za-z0-9._:-]` or a UUID (request-id.ts): nothing to escape in JSON.
 */
function withRequestId(body: string, scope: RequestScope, noteFirstError: boolean): string {
  if (!body.includes(REQUEST_ID_SLOT)) return body;
  if (noteFirstError) {
    const first = (JSON.parse(body) as { errors?: { extensions?: { code?: string; reason?: string } }[] }).errors?.[0]?.extensions;
    scope.code = first?.code;
    scope.reason = first?.reason;
  }
  return body.replaceAll(REQUEST_ID_SLOT, scope.id);
}
