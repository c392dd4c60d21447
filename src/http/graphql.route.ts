import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { CSRF_HEADER } from '../auth/browser-sessions';
import type { Caller, Principal } from '../auth/principal';
import type { RequestBudgets } from '../db/request-budget';
import type { GraphQLContext } from '../graphql/context';
import { createFormatError, reportUnexpected } from '../graphql/format-error';
import { NONE_LABEL } from '../graphql/pipeline/operation-label';
import { graphqlPipeline } from '../graphql/pipeline/pipeline';
import type { KeygateSchema } from '../graphql/schema';
import type { AccessModel } from '../kernel/access';
import { BadRequestError } from '../kernel/errors';
import type { Config } from '../kernel/config';
import { KEYGATE } from '../modules';
import type { KeygateMetrics } from './metrics/metrics';
import { outcomeOf } from './metrics/outcome';
import { apolloHandler } from './apollo-handler';
import { scopeOf, type RequestScope } from './request-scope';
import type { RequestPolicy } from './request-policy';
import type { RequestSpans } from './tracing/request-spans';

/** Headers whose presence proves the request was preflighted (lower case, as Node gives them). */
export const CSRF_SAFE_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'x-api-key', 'authorization', CSRF_HEADER];

export interface GraphQLRouteDeps {
  config: Config;
  dataSource: DataSource;
  schema: KeygateSchema;
  access: AccessModel;
  services: object;
  policy: RequestPolicy;
  budgets: RequestBudgets;
  /** Counts each request by operation and outcome; null when METRICS_PORT is unset. */
  metrics: KeygateMetrics | null;
  /** One span per request (tracing/request-spans.ts); null when tracing is off. */
  spans: RequestSpans | null;
}

/**
 * `/graphql`: the request's principal (request-policy.ts), then the GraphQL pipeline
 * (graphql/pipeline/pipeline.ts lists its stages, in order), each request with its own scope
 * (request-scope.ts: its database budget, its id for every error, its logger, what metrics
 * count), and its span when tracing is on.
 * What Apollo adds beyond the pipeline is switched off here.
 */
export async function registerGraphQLRoute(server: FastifyInstance, deps: GraphQLRouteDeps): Promise<ApolloServer<GraphQLContext>> {
  const { config, schema, access, services, metrics } = deps;
  const { spans } = deps;
  const pipeline = graphqlPipeline({
    schema,
    config,
    warn: (details, message) => server.log.warn(details, message),
    observe: metrics
      ? (operation, http) => {
          const scope = scopeOf(http);
          if (scope) scope.operation = operation;
        }
      : undefined,
    unexpected: (error, http) => reportUnexpected(error, (original) => logUnexpected(scopeOf(http)?.log ?? server.log, original)),
    decided: spans?.decided,
  });
  const apollo = new ApolloServer<GraphQLContext>({
    gateway: pipeline.gateway,
    plugins: [
      // keygate sets no cache hints; Apollo's default cache-control plugin would still visit every field.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      fastifyApolloDrainPlugin(server),
      pipeline.plugin,
    ],
    // Automatic persisted queries only when asked for: a hash is then resolved to its document
    // before the admission rule and the permission decision judge it, like any other.
    persistedQueries: config.persistedQueries ? {} : false,
    validationRules: pipeline.validationRules,
    parseOptions: pipeline.parseOptions,
    // One operation per request: batched HTTP requests stay off.
    allowBatchedHttpRequests: false,
    formatError: createFormatError((error) => logUnexpected(server.log, error)),
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM (a drain first); Apollo's own handler would close the server at once.
    stopOnTerminationSignals: false,
    introspection: true,
    // Apollo refuses a GET (or a form-encodable POST) unless a header forces a CORS preflight.
    // Credentials in a header are such a header: no page can add `x-api-key` or `Authorization`
    // to a cross-site request without a preflight, and origin-policy.ts refuses that preflight.
    // So urql's and graphql-request's GET queries work as they come, while a cookie-only request
    // still needs the console's CSRF header (or Apollo's own two).
    csrfPrevention: { requestHeaders: CSRF_SAFE_HEADERS },
  });
  await apollo.start();

  // What every request's context shares, once per app: the prototype of each context (see requestContext).
  const shared = sharedContext({ services, access, catalog: schema.catalog, dataSource: deps.dataSource });
  const anonymous = anonymousContext(shared);
  const handler = apolloHandler(
    apollo,
    async (request, reply, scope): Promise<GraphQLContext> => {
      let principal: Principal | null;
      try {
        principal = await deps.policy.principalFor(request, reply);
      } catch (error) {
        // Logged here, where the request's logger is known; formatError then only shapes it.
        reportUnexpected(error, (original) => logUnexpected(request.log, original));
        throw error;
      }
      if (!principal) return anonymous;
      scope.database.budget.forOrganization(principal.orgId);
      const caller: Caller = {
        principal,
        ip: request.ip ?? null,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
        db: scope.database.db,
      };
      return requestContext(shared, principal, caller);
    },
    Boolean(metrics || spans),
  );
  const scopes = new WeakMap<FastifyRequest, RequestScope>();
  server.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    onRequest: spans ? [spans.start, usableHost] : usableHost,
    preHandler: pipeline.limits,
    handler: (request, reply) => {
      const database = deps.budgets.open();
      const scope: RequestScope = { id: request.id, log: request.log, database };
      if (metrics || spans) scopes.set(request, scope);
      const run = () => handler(request, reply, scope).finally(() => deps.budgets.settle(database.budget));
      return spans ? spans.within(request, run) : run();
    },
    ...((metrics || spans) && {
      // A callback hook, not an async one: no promise per request for a counter.
      onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        const scope = scopes.get(request);
        if (metrics) count(metrics, request, reply, scope);
        spans?.end(request, reply, scope);
        done();
      },
    }),
  });
  return apollo;
}

/** One completed request, for metrics; a preflight is not a request. */
function count(metrics: KeygateMetrics, request: FastifyRequest, reply: FastifyReply, scope: RequestScope | undefined): void {
  if (request.method === 'OPTIONS') return;
  metrics.graphqlRequest(scope?.operation ?? NONE_LABEL, outcomeOf(reply.statusCode, scope), reply.elapsedTime / 1000);
}

function logUnexpected(log: FastifyBaseLogger, error: unknown): void {
  log.error({ err: error }, 'unhandled error in resolver');
}

/** A host name, an IPv4 address or a bracketed IPv6 one, with an optional port; or no Host at all (HTTP/1.0). */
const HOST = /^(?:[A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * A Host header that is no host (`Host: a b`) is refused first, with a 400: Apollo's Fastify
 * integration, which keygate used before apollo-handler.ts, built a URL from it and turned it into
 * an unauthenticated 500. A callback hook: no promise per request for a check.
 */
function usableHost(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const host = request.headers.host;
  done(
    host === undefined || HOST.test(host) ? undefined : new BadRequestError('The request target or its Host header is not a valid URL.'),
  );
}

type SharedContext = Pick<GraphQLContext, 'services' | 'access' | 'catalog'> & { dataSource: DataSource };

/**
 * The part of the context that is the same for every request, as the prototype of each request's
 * context. Apollo clones the context per request (`Object.assign` onto an object with the same
 * prototype), so what lives here is never copied, and the loaders' getter, read by no clone, still
 * builds them only on first use: most requests (`viewer`, mutations) never touch a loader.
 */
function sharedContext(known: SharedContext): object {
  return Object.defineProperties(Object.create(null), {
    services: { value: known.services },
    access: { value: known.access },
    catalog: { value: known.catalog },
    anonymous: { value: false, writable: true },
    loaders: {
      get(this: GraphQLContext & { built?: GraphQLContext['loaders'] }) {
        // The request's budgeted view of the database (Caller.db): every loader's statements count against it.
        const dataSource = this.caller.db ?? known.dataSource;
        return (this.built ??= KEYGATE.createLoaders({ dataSource, principal: this.principal, access: known.access }));
      },
    },
  });
}

/** One request's context: its principal and caller on the shared prototype (two own fields to clone). */
function requestContext(shared: object, principal: Principal, caller: Caller): GraphQLContext {
  const context = Object.create(shared) as GraphQLContext;
  context.principal = principal;
  context.caller = caller;
  return context;
}

/**
 * The context of a request without credentials. The authorization plugin lets it run only a
 * pure introspection query, which reads none of these; should anything else ever reach a
 * resolver, touching the principal fails loudly instead of acting as anyone.
 */
function anonymousContext(shared: object): GraphQLContext {
  const refuse = (): never => {
    throw new Error('No principal: a request without credentials may run only introspection.');
  };
  // Everything on the prototype: Apollo's clone keeps the prototype and copies no own field.
  const refusing = Object.create(shared, {
    anonymous: { value: true },
    principal: { get: refuse },
    caller: { get: refuse },
    loaders: { get: refuse },
  }) as object;
  return Object.create(refusing) as GraphQLContext;
}
