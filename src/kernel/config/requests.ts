import { z } from 'zod';
import { bool, optionalString } from './values';

/** What a request may do and how it runs: rate limits (and their Redis), persisted queries, the executor. */
export const requestsEnv = {
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
  PERSISTED_QUERIES: bool(false),
  GRAPHQL_EXECUTOR: z.enum(['jit', 'graphql-js']).default('jit'),
  GRAPHQL_COMPILE_AFTER: z.coerce.number().int().min(1).max(10_000).default(10),
};

type RequestsEnv = z.infer<z.ZodObject<typeof requestsEnv>>;

export interface RequestsConfig {
  /** Shared rate-limit counters; unset: in-process. */
  redisUrl?: string;
  redisKeyPrefix: string;
  /** Bounds on Redis: a command that does not answer in time is answered by the in-process limiter. */
  redis: { connectTimeoutMs: number; commandTimeoutMs: number; heartbeatMs: number };
  /** See WindowCounters: how stale one instance's view of the others' counts may be. */
  rateLimitSyncMs: number;
  rateLimitsEnabled: boolean;
  /** Automatic persisted queries (hash instead of query text); off unless asked for. */
  persistedQueries: boolean;
  /** Allowed queries run compiled (graphql-jit, behind its seam) from their `compileAfter`-th run, or all on graphql-js. */
  graphql: { executor: RequestsEnv['GRAPHQL_EXECUTOR']; compileAfter: number };
}

export function requestsConfig(e: RequestsEnv): RequestsConfig {
  return {
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redis: {
      connectTimeoutMs: e.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      heartbeatMs: e.REDIS_HEARTBEAT_MS,
    },
    rateLimitSyncMs: e.RATE_LIMIT_SYNC_MS,
    rateLimitsEnabled: e.RATE_LIMITS_ENABLED,
    persistedQueries: e.PERSISTED_QUERIES,
    graphql: { executor: e.GRAPHQL_EXECUTOR, compileAfter: e.GRAPHQL_COMPILE_AFTER },
  };
}
