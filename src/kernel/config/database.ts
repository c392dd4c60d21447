import path from 'node:path';
import { z } from 'zod';
import { bool, optionalString } from './values';

/** PostgreSQL (external or embedded), its bounds, and the cross-instance invalidation channel. */
export const databaseEnv = {
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
  /** Without Redis, what a crash loses at most; with Redis, how often the journal is drained into PostgreSQL. */
  USAGE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** With Redis: how often usage and clicks leave memory for the Redis journal, what a crash loses at most. */
  USAGE_JOURNAL_INTERVAL_MS: z.coerce.number().int().min(10).max(5_000).default(100),
};

type DatabaseEnv = z.infer<z.ZodObject<typeof databaseEnv>>;

export interface DatabaseTimeouts {
  /** Connecting, and waiting for a free connection of the pool. */
  connectMs: number;
  /** Server-side statement_timeout; the client gives up one second later if no answer comes at all. */
  statementMs: number;
  idleInTransactionMs: number;
  /** TCP keepalive starts probing an idle connection after this long. */
  keepAliveDelayMs: number;
}

export interface DatabaseConfig {
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
  /** Also the click recorder's flush interval. */
  usageFlushIntervalMs: number;
  /** With REDIS_URL: how often buffered usage and clicks are appended to the Redis journal. */
  usageJournalIntervalMs: number;
}

export function databaseConfig(e: DatabaseEnv): DatabaseConfig {
  return {
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
    usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
    usageJournalIntervalMs: e.USAGE_JOURNAL_INTERVAL_MS,
  };
}
