import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../kernel/config';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';

export interface OpenDatabase {
  dataSource: DataSource;
  embedded?: EmbeddedPostgresHandle;
  /** Names pending migrations that were applied. */
  migrated: string[];
  close(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR. Applies pending
 * migrations when asked (the server does unless MIGRATE_ON_START=false).
 */
export async function openDatabase(
  config: Config,
  options: { entities: readonly Function[]; migrate: boolean; ownProcessGroup?: boolean },
): Promise<OpenDatabase> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = config.database.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'postgres'),
      port: config.database.embeddedPort,
      ownProcessGroup: options.ownProcessGroup,
    });
    url = embedded.url;
  }
  const { timeouts } = config.database;
  let migrated: string[] = [];
  const { entities } = options;
  const dataSource = createDataSource({ url, entities, timeouts, poolSize: config.database.poolSize });
  try {
    if (options.migrate) {
      // Migrations may rewrite large tables: they run on their own connection with no statement bound.
      const migrations = createDataSource({
        url,
        entities,
        timeouts: { ...timeouts, statementMs: 0, idleInTransactionMs: 0 },
        poolSize: 1,
      });
      await migrations.initialize();
      try {
        migrated = (await migrations.runMigrations({ transaction: 'each' })).map((m) => m.name);
      } finally {
        await migrations.destroy();
      }
    }
    await dataSource.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded,
    migrated,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
