import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import { inTurn } from './kernel/in-turn';
import { InvalidationListener } from './auth/auth-invalidation';
import { SIGN_IN_LINK_TTL_SECONDS } from './auth/browser-sessions';
import { BrowserSessions } from './modules/sessions/browser-sessions.service';
import { Authenticator, type Authenticate } from './auth/authenticator';
import type { KeyFormat } from './auth/key-format';
import type { SessionTokens } from './auth/session-tokens';
import { VerificationCache } from './auth/verification-cache';
import { pgClientOptions } from './db/data-source';
import { RequestBudgets } from './db/request-budget';
import { buildKeygateSchema, type KeygateSchema } from './graphql/schema';
import { registerConsoleAuthRoutes } from './http/console-auth.routes';
import { registerConsoleRoutes } from './http/console.routes';
import { Drain } from './http/drain';
import { registerGraphiQL } from './http/graphiql.route';
import { OidcSignIn } from './http/oidc-sign-in';
import { registerGraphQLRoute } from './http/graphql.route';
import { registerHealthRoutes } from './http/health.routes';
import { createMetrics } from './http/metrics/create-metrics';
import { listenMetrics } from './http/metrics/listener';
import { RequestRateLimiter } from './http/rate-limits';
import { connectRedis } from './http/redis';
import { RequestPolicy } from './http/request-policy';
import { createHttpServer } from './http/server';
import type { Tracing } from './http/tracing/tracing';
import type { Config } from './kernel/config';
import { KEYGATE, type Services } from './modules';
import type { Overrides } from './core/module';
import { WebhookJobs } from './modules/webhooks/webhook-jobs';
import { createServiceGraph } from './service-graph';
import { startWriteBehind } from './write-behind-start';

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
  /** What to replace of the features' seams: tests answer DNS (`webhookLookup`, `txtResolver`) for names they do not own. */
  overrides?: Partial<Overrides>;
  /** Started tracing (http/tracing/preload.ts), when config.tracing is set; absent: no spans. */
  tracing?: Tracing | null;
  /** Fastify logger options; defaults to pino at config.logLevel with secrets redacted. */
  logger?: boolean | Record<string, unknown>;
}

export interface App {
  server: FastifyInstance;
  services: Services;
  /** Null when VERIFICATION_CACHE_ENABLED=false. */
  cache: VerificationCache | null;
  rateLimiter: RequestRateLimiter | null;
  requestBudgets: RequestBudgets;
  /** Present when jobs run in this process. */
  webhookJobs?: WebhookJobs;
  keyFormat: KeyFormat;
  authenticator: Authenticator;
  /** Console sign-ins: sign-in links and browser sessions. */
  browserSessions: BrowserSessions;
  /** Where `/metrics` is served (its own listener), or null when METRICS_PORT is unset. */
  metricsUrl: string | null;
  /**
   * Starts the drain before `close()`: `/readyz` answers 503 and every response closes its
   * connection, while requests are still served (main.ts waits SHUTDOWN_DRAIN_MS in between).
   */
  beginDrain(): void;
  /** Stops accepting requests, drains, and flushes usage. Does not close the data source. */
  close(): Promise<void>;
}

/** Schema for the modules of this build (tests share one across the apps of a file). */
export function buildSchema(): Promise<KeygateSchema> {
  return buildKeygateSchema({ resolvers: KEYGATE.resolvers, access: KEYGATE.access, operations: KEYGATE.operations });
}

/**
 * Builds the HTTP server without listening, so tests and benchmarks can inject their own pieces
 * and use `server.inject` or `server.listen` as they need.
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, dataSource } = deps;
  const drain = new Drain();
  const server = await createHttpServer(config, drain, deps.logger);

  const { maxEntries, ttlMs, enabled } = config.verificationCache;
  const cache = enabled ? new VerificationCache({ maxEntries, ttlMs, maxUnknown: 10_000, unknownTtlMs: 10_000 }) : null;
  const metrics = createMetrics(config, dataSource, cache, server.log);
  const { services, invalidator, keyFormat } = await createServiceGraph({ ...deps, cache, log: server.log });
  // Evicts this instance's cache the moment a transaction that changed authentication commits.
  dataSource.subscribers.push(invalidator);
  const connectionString = (dataSource.options as { url?: string }).url!;
  const listener = cache
    ? new InvalidationListener(connectionString, cache, server.log, {
        ...config.invalidation,
        client: pgClientOptions(config.database.timeouts, 'keygate-invalidation'),
        onEcho: metrics ? (seconds) => metrics.invalidationEcho(seconds) : undefined,
      })
    : null;
  await listener?.start();
  // Redis shares rate limits and journals usage and clicks (a crash then loses one tick of them).
  const redis = config.redisUrl ? connectRedis(config.redisUrl, config.redis, server.log) : null;
  startWriteBehind({ usage: services.usage, clicks: services.clicks }, { config, redis, log: server.log });
  metrics?.watchBuffers({ usage: services.usage, clicks: services.clicks });

  const authenticator = new Authenticator(services.directories, keyFormat, deps.sessionTokens, KEYGATE.access, cache);
  const browserSessions = new BrowserSessions(dataSource, {
    sessionTtlSeconds: config.session.consoleTtlSeconds,
    signInLinkTtlSeconds: SIGN_IN_LINK_TTL_SECONDS,
  });
  const rateLimiter = config.rateLimitsEnabled
    ? new RequestRateLimiter(redis, config.redisKeyPrefix, { syncIntervalMs: config.rateLimitSyncMs })
    : null;
  const policy = new RequestPolicy({ authenticator, authenticate: deps.authenticate, rateLimiter, usage: services.usage });
  const requestBudgets = new RequestBudgets(config.database.budget, dataSource, config.database.timeouts.connectMs);
  const schema = deps.schema ?? (await buildSchema());
  const apollo = await registerGraphQLRoute(server, {
    config,
    dataSource,
    schema,
    access: KEYGATE.access,
    services,
    policy,
    budgets: requestBudgets,
    metrics,
    spans: deps.tracing?.requestSpans ?? null,
  });

  const webhookJobs = await startJobs(deps, services, (error) => server.log.error({ err: error }, 'webhook job failed'));
  registerHealthRoutes(server, dataSource, drain);
  registerGraphiQL(server);
  const { oidc } = config;
  registerConsoleAuthRoutes(server, {
    config,
    sessions: browserSessions,
    users: authenticator.users,
    oidc: oidc.issuer && oidc.client ? new OidcSignIn({ ...oidc, issuer: oidc.issuer, client: oidc.client }, !config.isProduction) : null,
  });
  await registerConsoleRoutes(server);
  KEYGATE.registerRoutes(server, { dataSource, config, services: services as unknown as Record<string, unknown> });
  const metricsListener = metrics && config.metrics ? await listenMetrics(metrics, config.metrics) : null;

  let closed = false;
  return {
    server,
    services,
    cache,
    rateLimiter,
    requestBudgets,
    webhookJobs,
    keyFormat,
    authenticator,
    browserSessions,
    metricsUrl: metricsListener?.url ?? null,
    beginDrain: () => drain.begin(),
    async close() {
      if (closed) return;
      closed = true;
      // Apollo's drain plugin closes Fastify (stop accepting, wait for in-flight requests,
      // cut idle keep-alive connections); closing Fastify a second time would never settle.
      // Called first and at once: Apollo's own SIGTERM handler must not get to stop it first
      // (an `await` before this line let it, and the drain then never settled).
      // Every step runs even when one before it failed (a stuck job worker must not leave the
      // invalidation listener reconnecting, or usage unflushed); the first failure is rethrown.
      await inTurn([
        () => apollo.stop(),
        () => metricsListener?.close(),
        () => webhookJobs?.stop(),
        () => listener?.stop(),
        async () => {
          rateLimiter?.stop();
          await rateLimiter?.sync().catch(() => undefined);
          const at = dataSource.subscribers.indexOf(invalidator);
          if (at >= 0) dataSource.subscribers.splice(at, 1);
        },
        // Through Redis's journal (while it answers) into PostgreSQL, then Redis can go.
        () => Promise.all([services.usage.stop(), services.clicks.stop()]),
        () => redis?.disconnect(),
      ]);
    },
  };
}

/** The webhook queue workers, the outbox dispatcher and the expiry check, when this process runs them. */
async function startJobs(deps: AppDeps, services: Services, onError: (error: unknown) => void): Promise<WebhookJobs | undefined> {
  const { config, dataSource } = deps;
  const option = deps.jobs ?? config.jobsEnabled;
  if (!option) return undefined;
  const tuning = typeof option === 'object' ? option : {};
  const jobs = new WebhookJobs(dataSource, services.deliverer, services.expiry, {
    connectionString: (dataSource.options as { url?: string }).url!,
    clientOptions: pgClientOptions(config.database.timeouts, 'keygate-jobs'),
    concurrency: config.webhooks.concurrency,
    dispatchIntervalMs: tuning.dispatchIntervalMs ?? 1_000,
    expiryCheckIntervalMs: tuning.expiryCheckIntervalMs ?? 10 * 60_000,
    pollingIntervalSeconds: tuning.pollingIntervalSeconds ?? 2,
    onError,
  });
  await jobs.start();
  return jobs;
}
