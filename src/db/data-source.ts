import 'reflect-metadata';
import pg from 'pg';
import { DataSource, type Logger, type QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseTimeouts } from '../kernel/config';
import { DatabasePool } from './database-pool';

export interface DataSourceOptions {
  url: string;
  /** The entity classes of every module (modules/index.ts: KEYGATE.entities). */
  entities: readonly Function[];
  /** Sees every SQL statement and the query runner that sends it; tests use it to count queries. */
  queryObserver?: (sql: string, runner: QueryRunner | undefined) => void;
  poolSize?: number;
  /** Bounds on connections and statements; the defaults of the configuration when omitted. */
  timeouts?: DatabaseTimeouts;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectMs: 5_000,
  statementMs: 5_000,
  idleInTransactionMs: 30_000,
  keepAliveDelayMs: 10_000,
};

/**
 * node-postgres settings that bound every call to PostgreSQL in time: connecting, each
 * statement (on the server, and on the client one second later for when no answer comes back
 * at all, as behind a network partition), a transaction left idle, and TCP keepalive so a dead
 * peer is noticed on an idle connection. Shared by the pool, the LISTEN connection and pg-boss.
 */
export function pgClientOptions(timeouts: DatabaseTimeouts, applicationName: string): pg.ClientConfig {
  return {
    application_name: applicationName,
    connectionTimeoutMillis: timeouts.connectMs,
    // 0: no statement bound (migrations, which may rewrite large tables).
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs, query_timeout: timeouts.statementMs + 1_000 } : {}),
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: timeouts.keepAliveDelayMs,
  };
}

class ObservingLogger implements Logger {
  constructor(private readonly observe: (sql: string, runner: QueryRunner | undefined) => void) {}
  logQuery(query: string, _parameters?: unknown[], runner?: QueryRunner) {
    this.observe(query, runner);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

/** pg with keygate's pool (database-pool.ts): a busy pool is a 503, a client owed an answer is not reused. */
const pgWithDatabasePool = Object.create(pg, { Pool: { value: DatabasePool } }) as typeof pg;

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    driver: pgWithDatabasePool,
    entities: [...options.entities],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: options.queryObserver ? ['query'] : false,
    logger: options.queryObserver ? new ObservingLogger(options.queryObserver) : undefined,
    extra: {
      max: options.poolSize ?? 10,
      ...pgClientOptions(options.timeouts ?? DEFAULT_DATABASE_TIMEOUTS, 'keygate'),
    },
  });
}
