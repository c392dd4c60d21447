import { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import cors from '@fastify/cors';
import type { DataSource } from 'typeorm';
import { AuthInvalidator, InvalidationListener } from './auth/auth-invalidation';
import { Authenticator, type Authenticate } from './auth/authenticator';
import { VerificationCache } from './auth/verification-cache';
import { RequestRateLimiter } from './http/rate-limits';
import { RequestPolicy } from './http/request-policy';
import { watchRedis } from './http/redis-heartbeat';
import { Authority } from './auth/authority';
import { Changes } from './auth/changes';
import { KeyFormat } from './auth/key-format';
import type { Caller, Principal } from './auth/principal';
import type { SessionTokens } from './auth/session-tokens';
import type { Config } from './config';
import { pgClientOptions } from './db/data-source';
import { currentRequestBudget, RequestBudgets } from './db/request-budget';
import { ServiceUnavailableError } from './errors';
import type { GraphQLContext, Services } from './graphql/context';
import { authorizationPlugin } from './graphql/authorization/authorization.plugin';
import { decidedExecutor } from './graphql/authorization/executor';
import { OperationRequirements } from './graphql/authorization/operation-requirements';
import { createFormatError, isDatabaseUnavailable } from './graphql/format-error';
import { httpStatusPlugin } from './graphql/http-status.plugin';
import { aliasLimitRule, complexityLimitPlugin, documentLimitsHook } from './graphql/query-limits';
import { rejectInvalidTextPlugin } from './graphql/reject-invalid-text.plugin';
import { createLoaders } from './graphql/loaders';
import { buildKeygateSchema, type KeygateSchema } from './graphql/schema';
import { registerGraphiQL } from './http/graphiql.route';
import { registerHealthRoutes } from './http/health.routes';
import { registerRedirectRoute } from './http/redirect.route';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { UsageRecorder } from './modules/api-keys/usage-recorder';
import { AuditService } from './modules/audit/audit.service';
import { DomainService, systemTxtResolver, type TxtResolver } from './modules/domains/domain.service';
import { MemberService } from './modules/members/member.service';
import { ShortLinkService } from './modules/short-links/short-link.service';
import { ClickRecorder } from './modules/stats/click-recorder';
import { StatsService } from './modules/stats/stats.service';
import { ExpiryNotifier } from './modules/api-keys/expiry-notifier';
import { defaultLookup, type Lookup } from './modules/webhooks/ssrf-guard';
import { WebhookDeliverer } from './modules/webhooks/webhook-deliverer';
import { WebhookJobs } from './modules/webhooks/webhook-jobs';
import { WebhookSender } from './modules/webhooks/webhook-sender';
import { WebhookService } from './modules/webhooks/webhook.service';
import { resolveEncryptionKey, SecretBox } from './auth/secret-box';
import { OrganizationService } from './modules/organizations/organization.service';

export interface AppDeps {
  config: Config;
  dataSource: DataSource;
  sessionTokens: SessionTokens;
  /** Replaces credential checking; the benchmark's no-auth baseline injects a fixed principal. */
  authenticate?: Authenticate;
  /** A prebuilt schema, to share one build across several apps in a test run. */
  schema?: KeygateSchema;
  /** Runs webhook delivery workers, the outbox dispatcher and expiry checks; default JOBS_ENABLED. */
  jobs?: boolean | { pollingIntervalSeconds?: number; dispatchIntervalMs?: number; expiryCheckIntervalMs?: number };
  /** Address lookups for webhook URLs (the SSRF guard); tests stub remote names. */
  webhookLookup?: Lookup;
  /** DNS TXT lookups for domain verification; tests answer for domains they do not own. */
  txtResolver?: TxtResolver;
  /** Fastify logger options; defaults to pino at config.logLevel with secrets redacted. */
  logger?: boolean | Record<string, unknown>;
}

export interface App {
  server: FastifyInstance;
  services: Services & { organizations: OrganizationService };
  usage: UsageRecorder;
  clicks: ClickRecorder;
  /** Null when VERIFICATION_CACHE_ENABLED=false. */
  cache: VerificationCache | null;
  rateLimiter: RequestRateLimiter | null;
  requestBudgets: RequestBudgets;
  /** Present when jobs run in this process. */
  webhookJobs?: WebhookJobs;
  deliverer: WebhookDeliverer;
  expiry: ExpiryNotifier;
  keyFormat: KeyFormat;
  authenticator: Authenticator;
  /** Stops accepting requests, drains, and flushes usage. Does not close the data source. */
  close(): Promise<void>;
}

/** Headers that carry secrets; never logged. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.secret'];

/**
 * Builds the HTTP server without listening, so tests and benchmarks can inject their own pieces
 * and use `server.inject` or `server.listen` as they need.
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, dataSource } = deps;
  const server = Fastify({
    logger: deps.logger ?? { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    bodyLimit: 100 * 1024,
    trustProxy: config.trustProxy,
  });

  // Browsers may call the API only from configured origins (CORS_ORIGINS); none by default.
  if (config.corsOrigins) {
    await server.register(cors, {
      origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-api-key', 'apollo-require-preflight'],
      exposedHeaders: ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'],
      maxAge: 600,
    });
  }
  // Outside GraphQL (redirects, health, body parsing): client errors keep their status and
  // message; an unreachable database is a bare 503; anything else a bare 500, logged here.
  server.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: error.message });
    if (isDatabaseUnavailable(error) || error instanceof ServiceUnavailableError) {
      return reply.code(503).type('text/plain; charset=utf-8').send('Service unavailable\n');
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).type('text/plain; charset=utf-8').send('Internal server error\n');
  });

  const keyFormat = new KeyFormat(config.apiKeyPrefix);
  const connectionString = (dataSource.options as { url?: string }).url!;
  const cache = config.verificationCache.enabled
    ? new VerificationCache({ maxEntries: config.verificationCache.maxEntries, ttlMs: config.verificationCache.ttlMs, maxUnknown: 10_000, unknownTtlMs: 10_000 })
    : null;
  const invalidator = new AuthInvalidator(cache);
  // Evicts this instance's cache the moment a transaction that changed authentication commits.
  dataSource.subscribers.push(invalidator);
  const listener = cache
    ? new InvalidationListener(connectionString, cache, server.log, { ...config.invalidation, client: pgClientOptions(config.database.timeouts, 'keygate-invalidation') })
    : null;
  await listener?.start();

  const audit = new AuditService(dataSource);
  const changes = new Changes(dataSource, new Authority());
  const apiKeys = new ApiKeyService(dataSource, keyFormat, audit, invalidator, changes);
  const members = new MemberService(dataSource, apiKeys, audit, invalidator, changes);
  const organizations = new OrganizationService(dataSource, apiKeys, audit, invalidator);
  const ownHostnames = new Set(['localhost', new URL(config.publicUrl).hostname.toLowerCase()]);
  const secretBox = new SecretBox(await resolveEncryptionKey({ encryptionKey: config.encryptionKey, dataDir: config.dataDir, isProduction: config.isProduction }));
  const lookup = deps.webhookLookup ?? defaultLookup;
  const sender = new WebhookSender({ lookup, allowPrivate: config.webhooks.allowPrivate, timeoutMs: config.webhooks.timeoutMs });
  const deliverer = new WebhookDeliverer(dataSource, secretBox, sender, audit, {
    retrySchedule: config.webhooks.retrySchedule,
    maxConsecutiveFailures: config.webhooks.maxConsecutiveFailures,
  });
  const expiry = new ExpiryNotifier(dataSource, audit);
  const services = {
    apiKeys,
    members,
    audit,
    organizations,
    shortLinks: new ShortLinkService(dataSource, audit, changes),
    domains: new DomainService(dataSource, audit, deps.txtResolver ?? systemTxtResolver, ownHostnames, changes),
    stats: new StatsService(dataSource),
    webhooks: new WebhookService(
      dataSource,
      audit,
      secretBox,
      { isProduction: config.isProduction, allowPrivate: config.webhooks.allowPrivate, lookup },
      deliverer,
      changes,
    ),
  };

  const reportDrops = (what: string) => (dropped: number, total: number) =>
    server.log.error({ dropped, total }, `${what} buffer full while the database was unreachable; entries dropped`);
  const usage = new UsageRecorder(dataSource, 100_000, reportDrops('usage'));
  usage.start(config.usageFlushIntervalMs);
  const clicks = new ClickRecorder(dataSource, 100_000, reportDrops('click'));
  clicks.start(config.usageFlushIntervalMs);
  const authenticator = new Authenticator(dataSource, keyFormat, deps.sessionTokens, cache);
  const redis = config.rateLimitsEnabled && config.redisUrl ? connectRedis(config.redisUrl, config.redis, server.log) : null;
  const rateLimiter = config.rateLimitsEnabled ? new RequestRateLimiter(redis, config.redisKeyPrefix) : null;
  const policy = new RequestPolicy({ authenticator, authenticate: deps.authenticate, rateLimiter, usage });

  const { schema, plain, requirements, catalog } = deps.schema ?? (await buildKeygateSchema());
  const apollo = new ApolloServer<GraphQLContext>({
    gateway: decidedExecutor({ plain, guarded: schema }),
    plugins: [
      fastifyApolloDrainPlugin(server),
      authorizationPlugin(new OperationRequirements(schema, requirements), { anonymousIntrospection: !config.isProduction }),
      rejectInvalidTextPlugin,
      complexityLimitPlugin(),
      httpStatusPlugin,
    ],
    // Automatic persisted queries only when asked for: a hash is then resolved to its document
    // before the admission rule and the permission decision judge it, like any other.
    persistedQueries: config.persistedQueries ? {} : false,
    validationRules: [aliasLimitRule()],
    // One operation per request: batched HTTP requests stay off.
    allowBatchedHttpRequests: false,
    formatError: createFormatError((error) => server.log.error({ err: error }, 'unhandled error in resolver')),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    csrfPrevention: true,
  });
  await apollo.start();

  // Each GraphQL request runs inside its own database budget (statements, connections).
  const requestBudgets = new RequestBudgets(config.database.budget);
  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request, reply): Promise<GraphQLContext> => {
      const principal = await policy.principalFor(request, reply);
      if (!principal) return anonymousContext(services, catalog);
      currentRequestBudget()?.forOrganization(principal.orgId);
        const caller: Caller = {
          principal,
          ip: request.ip ?? null,
          userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
        };
        return { principal, caller, loaders: createLoaders(dataSource, principal), services, catalog, anonymous: false };
      },
    });
  server.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    preHandler: documentLimitsHook,
    handler: (request, reply) => requestBudgets.run(async () => graphqlHandler.call(server, request as never, reply as never)),
  });

  const jobsOption = deps.jobs ?? config.jobsEnabled;
  let webhookJobs: WebhookJobs | undefined;
  if (jobsOption) {
    const tuning = typeof jobsOption === 'object' ? jobsOption : {};
    webhookJobs = new WebhookJobs(dataSource, deliverer, expiry, {
      connectionString: (dataSource.options as { url?: string }).url!,
      clientOptions: pgClientOptions(config.database.timeouts, 'keygate-jobs'),
      concurrency: config.webhooks.concurrency,
      deferralMaxMs: config.webhooks.timeoutMs,
      dispatchIntervalMs: tuning.dispatchIntervalMs ?? 1_000,
      expiryCheckIntervalMs: tuning.expiryCheckIntervalMs ?? 10 * 60_000,
      pollingIntervalSeconds: tuning.pollingIntervalSeconds ?? 2,
      onError: (error) => server.log.error({ err: error }, 'webhook job failed'),
    });
    await webhookJobs.start();
  }

  registerHealthRoutes(server, dataSource);
  registerGraphiQL(server);
  registerRedirectRoute(server, { dataSource, clicks, countryHeader: config.clickCountryHeader });

  let closed = false;
  return {
    server,
    services,
    usage,
    clicks,
    cache,
    rateLimiter,
    requestBudgets,
    webhookJobs,
    deliverer,
    expiry,
    keyFormat,
    authenticator,
    async close() {
      if (closed) return;
      closed = true;
      // Apollo's drain plugin closes Fastify (stop accepting, wait for in-flight requests,
      // cut idle keep-alive connections); closing Fastify a second time would never settle.
      await apollo.stop();
      await webhookJobs?.stop();
      await listener?.stop();
      redis?.disconnect();
      const at = dataSource.subscribers.indexOf(invalidator);
      if (at >= 0) dataSource.subscribers.splice(at, 1);
      await Promise.all([usage.stop(), clicks.stop()]);
    },
  };
}

/**
 * The context of a request without credentials. The authorization plugin lets it run only a
 * pure introspection query, which reads none of these; should anything else ever reach a
 * resolver, touching the principal fails loudly instead of acting as anyone.
 */
function anonymousContext(services: GraphQLContext['services'], catalog: GraphQLContext['catalog']): GraphQLContext {
  const refuse = (): never => {
    throw new Error('No principal: a request without credentials may run only introspection.');
  };
  return Object.defineProperties({ services, catalog, anonymous: true } as unknown as GraphQLContext, {
    principal: { get: refuse },
    caller: { get: refuse },
    loaders: { get: refuse },
  });
}

/**
 * Redis for shared rate-limit counters. No offline queue: while Redis is away, calls fail at once
 * and the limiter's in-process insurance answers; the outage and the recovery are logged once each.
 * A command that gets no answer in time fails too, and a heartbeat that misses its PONG drops the
 * connection, so a silent partition costs at most one command timeout before calls fail at once.
 */
function connectRedis(url: string, bounds: Config['redis'], log: FastifyInstance['log']): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: bounds.connectTimeoutMs,
    commandTimeout: bounds.commandTimeoutMs,
    // A dropped connection's socket is destroyed after this long even if the peer never answers.
    disconnectTimeout: bounds.commandTimeoutMs,
    keepAlive: bounds.heartbeatMs,
    lazyConnect: false,
  });
  watchRedis(redis, bounds.heartbeatMs);
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ err: error.message }, 'Redis unreachable; rate limits fall back to in-process counters');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({}, 'Redis is back; rate limits are shared again');
    down = false;
  });
  return redis;
}
