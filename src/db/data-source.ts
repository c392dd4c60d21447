import 'reflect-metadata';
import { DataSource, type Logger } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

export interface DataSourceOptions {
  url: string;
  /** Sees every SQL statement; tests use it to count queries. */
  queryObserver?: (sql: string) => void;
  poolSize?: number;
}

class ObservingLogger implements Logger {
  constructor(private readonly observe: (sql: string) => void) {}
  logQuery(query: string) {
    this.observe(query);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: options.queryObserver ? ['query'] : false,
    logger: options.queryObserver ? new ObservingLogger(options.queryObserver) : undefined,
    extra: {
      max: options.poolSize ?? 10,
      // Fail fast rather than hang when the database is gone.
      connectionTimeoutMillis: 5_000,
      application_name: 'keygate',
    },
  });
}
