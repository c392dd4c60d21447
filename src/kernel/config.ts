import path from 'node:path';
import { z } from 'zod';
import { parseRetrySchedule } from './retry-schedule';
import { ConfigError, parseCorsOrigins, parseTrustProxy } from './config-values';
import { oidcConfig, oidcEnv, type OidcConfig } from './oidc-config';

/**
 * Every environment variable keygate reads is parsed here, once, so a typo or a bad value
 * stops the process at start-up with a message instead of surfacing as odd behaviour later.
 */

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: optionalString,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** One line per request (`all`), only for failed or slow ones (`errors`), or none (`off`). */
  ACCESS_LOG: z.enum(['all', 'errors', 'off']).default('errors'),

  DATABASE_URL: optionalString,
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  MIGRATE_ON_START: bool(true),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(1_000).default(10),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  DB_KEEPALIVE_DELAY_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
  DB_STATEMENTS_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(100),
  DB_CONNECTIONS_PER_REQUEST: z.coerce.number().int().min(1).max(1_000).default(3),
  DB_CONNECTIONS_PER_ORGANIZATION: z.coerce.number().int().min(1).max(1_000).optional(),
  INVALIDATION_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  INVALIDATION_ECHO_TIMEOUT_MS: z.coerce.number().int().min(200).max(120_000).default(3_000),
  BOOTSTRAP_ON_START: bool(true),

  SESSION_SECRET: optionalString.pipe(z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional()),
  ...oidcEnv,
  /** How long a console sign-in lasts. */
  CONSOLE_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(31 * 24 * 3600)
    .default(12 * 3600),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 24 * 3600)
    .default(12 * 3600),

  API_KEY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,9}_(?:[a-z0-9]{1,10}_)?$/, 'API_KEY_PREFIX must look like "sk_live_" (lowercase, ending in "_")')
    .default('sk_live_'),
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  ENCRYPTION_KEY: optionalString,
  WEBHOOK_RETRY_SCHEDULE: z.string().default('30s,2m,10m,1h,6h,12h'),
  WEBHOOK_MAX_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).max(10_000).default(20),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOKS_ALLOW_PRIVATE: bool(false),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(10),
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: z.coerce.number().int().min(1).max(1_000).default(2),
  WEBHOOK_CONCURRENCY_PER_ORGANIZATION: z.coerce.number().int().min(1).max(1_000).default(5),
  JOBS_ENABLED: bool(true),
  REDIS_URL: optionalString,
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{0,40}$/)
    .default('keygate:'),
  REDIS_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  REDIS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** How often rate-limit counts are exchanged with Redis; 0: on every request (exact, one round trip each). */
  RATE_LIMIT_SYNC_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  RATE_LIMITS_ENABLED: bool(true),
  VERIFICATION_CACHE_ENABLED: bool(true),
  VERIFICATION_CACHE_SIZE: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  VERIFICATION_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
  CORS_ORIGINS: optionalString,
  TRUST_PROXY: optionalString,
  PERSISTED_QUERIES: bool(false),
  GRAPHQL_EXECUTOR: z.enum(['jit', 'graphql-js']).default('jit'),
  GRAPHQL_COMPILE_AFTER: z.coerce.number().int().min(1).max(10_000).default(10),
  PRINT_BOOTSTRAP_KEY: z.enum(['true', 'false', '1', '0', 'yes', 'no']).optional(),
  CLICK_COUNTRY_HEADER: optionalString.pipe(
    z
      .string()
      .regex(/^[a-z0-9-]+$/i, 'CLICK_COUNTRY_HEADER must be a header name such as cf-ipcountry')
      .optional(),
  ),
});

export type Env = z.infer<typeof envSchema>;
export { ConfigError };

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  host: string;
  port: number;
  publicUrl: string;
  logLevel: NonNullable<Env['LOG_LEVEL']>;
  accessLog: Env['ACCESS_LOG'];
  database: {
    /** Undefined means: start the embedded PostgreSQL under `dataDir`. */
    url?: string;
    embeddedPort: number;
    migrateOnStart: boolean;
    /** Bounds on every connection and statement: see DatabaseTimeouts. */
    timeouts: DatabaseTimeouts;
    poolSize: number;
    /** What one GraphQL request may use of the database. */
    budget: { statementsPerRequest: number; connectionsPerRequest: number; connectionsPerOrganization: number };
  };
  /** The LISTEN connection proves it is alive by hearing its own NOTIFY every heartbeat. */
  invalidation: { heartbeatMs: number; echoTimeoutMs: number };
  dataDir: string;
  bootstrapOnStart: boolean;
  session: {
    /** HS256 secret; undefined when only a provider is used or the dev secret must be generated. */
    secret?: string;
    ttlSeconds: number;
    /** Console (browser) sign-ins. */
    consoleTtlSeconds: number;
  };
  /** Sign-in through an OpenID Connect provider (bearer tokens and the console). */
  oidc: OidcConfig;
  apiKeyPrefix: string;
  /** Also the click recorder's flush interval. */
  usageFlushIntervalMs: number;
  /** Origins allowed to call the API from a browser: a list, `*`, or none (no CORS headers). */
  corsOrigins: string[] | '*' | null;
  /** A header set by a trusted proxy (e.g. `cf-ipcountry`) with the client's country. */
  clickCountryHeader?: string;
  /** Seals webhook signing secrets at rest; generated under DATA_DIR outside production. */
  encryptionKey?: string;
  webhooks: {
    /** Delays in ms before attempts 2, 3, …. */
    retrySchedule: number[];
    maxConsecutiveFailures: number;
    timeoutMs: number;
    /** Deliveries in flight per process, per endpoint and per organization. */
    concurrency: { total: number; perEndpoint: number; perOrganization: number };
    /** Lifts the SSRF guard for loopback and private ranges (never for link-local/metadata). */
    allowPrivate: boolean;
  };
  /** Runs the webhook queue workers, the outbox dispatcher and the expiry check in this process. */
  jobsEnabled: boolean;
  /** Shared rate-limit counters; unset: in-process. */
  redisUrl?: string;
  redisKeyPrefix: string;
  /** Bounds on Redis: a command that does not answer in time is answered by the in-process limiter. */
  redis: { connectTimeoutMs: number; commandTimeoutMs: number; heartbeatMs: number };
  /** See WindowCounters: how stale one instance's view of the others' counts may be. */
  rateLimitSyncMs: number;
  rateLimitsEnabled: boolean;
  verificationCache: { enabled: boolean; maxEntries: number; ttlMs: number };
  /**
   * Which proxies' X-Forwarded-For to believe for the client IP (Fastify's trustProxy): false
   * (the socket's address), true (any), or a list of addresses, CIDRs and named ranges.
   */
  trustProxy: boolean | string[];
  /** Automatic persisted queries (hash instead of query text); off unless asked for. */
  persistedQueries: boolean;
  /** Allowed queries run compiled (graphql-jit) from their `compileAfter`-th run, or all on graphql-js. */
  graphql: { executor: Env['GRAPHQL_EXECUTOR']; compileAfter: number };
  /**
   * Print the first-start bootstrap key (to stderr, never through the logger). Off in
   * production unless PRINT_BOOTSTRAP_KEY=true; without it no bootstrap key is created there.
   */
  printBootstrapKey: boolean;
}

export interface DatabaseTimeouts {
  /** Connecting, and waiting for a free connection of the pool. */
  connectMs: number;
  /** Server-side statement_timeout; the client gives up one second later if no answer comes at all. */
  statementMs: number;
  idleInTransactionMs: number;
  /** TCP keepalive starts probing an idle connection after this long. */
  keepAliveDelayMs: number;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';

  let retrySchedule: number[];
  try {
    retrySchedule = parseRetrySchedule(e.WEBHOOK_RETRY_SCHEDULE);
  } catch (error) {
    throw new ConfigError(`Invalid environment:\n  WEBHOOK_RETRY_SCHEDULE: ${(error as Error).message}`);
  }
  // A production server must never invent its own signing secret: sessions would silently
  // stop verifying on the next instance or restart.
  if (isProduction && !e.SESSION_SECRET && !e.OIDC_ISSUER && !e.JWT_ISSUER) {
    throw new ConfigError(
      'NODE_ENV=production needs SESSION_SECRET (HS256, at least 32 characters) or OIDC_ISSUER to verify session tokens. ' +
        'Set one of them and start again.',
    );
  }
  if (isProduction && !e.ENCRYPTION_KEY) {
    throw new ConfigError(
      'NODE_ENV=production needs ENCRYPTION_KEY (32 bytes as 64 hex characters or base64) to seal webhook signing secrets. ' +
        'Generate one with `openssl rand -hex 32`.',
    );
  }

  const host = e.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1');
  const port = e.PORT;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  return {
    env: e.NODE_ENV,
    isProduction,
    host,
    port,
    publicUrl,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    accessLog: e.ACCESS_LOG,
    database: {
      url: e.DATABASE_URL,
      embeddedPort: e.EMBEDDED_PG_PORT,
      migrateOnStart: e.MIGRATE_ON_START,
      poolSize: e.DB_POOL_SIZE,
      timeouts: {
        connectMs: e.DB_CONNECT_TIMEOUT_MS,
        statementMs: e.DB_STATEMENT_TIMEOUT_MS,
        idleInTransactionMs: e.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
        keepAliveDelayMs: e.DB_KEEPALIVE_DELAY_MS,
      },
      budget: {
        statementsPerRequest: e.DB_STATEMENTS_PER_REQUEST,
        connectionsPerRequest: Math.min(e.DB_CONNECTIONS_PER_REQUEST, e.DB_POOL_SIZE),
        // Half the pool by default: one organization's burst leaves the other half to everyone else.
        connectionsPerOrganization: Math.min(e.DB_CONNECTIONS_PER_ORGANIZATION ?? Math.ceil(e.DB_POOL_SIZE / 2), e.DB_POOL_SIZE),
      },
    },
    invalidation: {
      heartbeatMs: e.INVALIDATION_HEARTBEAT_MS,
      echoTimeoutMs: Math.max(e.INVALIDATION_ECHO_TIMEOUT_MS, e.INVALIDATION_HEARTBEAT_MS * 2),
    },
    dataDir: path.resolve(e.DATA_DIR),
    bootstrapOnStart: e.BOOTSTRAP_ON_START,
    session: { secret: e.SESSION_SECRET, ttlSeconds: e.SESSION_TTL_SECONDS, consoleTtlSeconds: e.CONSOLE_SESSION_TTL_SECONDS },
    oidc: oidcConfig(e, publicUrl),
    apiKeyPrefix: e.API_KEY_PREFIX,
    usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
    clickCountryHeader: e.CLICK_COUNTRY_HEADER?.toLowerCase(),
    corsOrigins: parseCorsOrigins(e.CORS_ORIGINS),
    encryptionKey: e.ENCRYPTION_KEY,
    webhooks: {
      retrySchedule,
      maxConsecutiveFailures: e.WEBHOOK_MAX_CONSECUTIVE_FAILURES,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: {
        total: e.WEBHOOK_CONCURRENCY,
        perEndpoint: e.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
        perOrganization: e.WEBHOOK_CONCURRENCY_PER_ORGANIZATION,
      },
      allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE,
    },
    jobsEnabled: e.JOBS_ENABLED,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redis: {
      connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      heartbeatMs: e.REDIS_HEARTBEAT_MS,
    },
    rateLimitSyncMs: e.RATE_LIMIT_SYNC_MS,
    rateLimitsEnabled: e.RATE_LIMITS_ENABLED,
    verificationCache: { enabled: e.VERIFICATION_CACHE_ENABLED, maxEntries: e.VERIFICATION_CACHE_SIZE, ttlMs: e.VERIFICATION_CACHE_TTL_MS },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    persistedQueries: e.PERSISTED_QUERIES,
    graphql: { executor: e.GRAPHQL_EXECUTOR, compileAfter: e.GRAPHQL_COMPILE_AFTER },
    printBootstrapKey: e.PRINT_BOOTSTRAP_KEY === undefined ? !isProduction : ['true', '1', 'yes'].includes(e.PRINT_BOOTSTRAP_KEY),
  };
}
