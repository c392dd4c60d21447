import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../kernel/config';
import { withAdvisoryLock } from './advisory-lock';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';

/** The session advisory lock held while migrations run (any bigint, unique to this purpose). */
export const MIGRATION_LOCK = '30229394607928422';

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
      // Migrations may rewrite large tables: they run on their own connection with no statement bound
      // (and the lock below holds a second one).
      const migrations = createDataSource({
        url,
        entities,
        timeouts: { ...timeouts, statementMs: 0, idleInTransactionMs: 0 },
        poolSize: 2,
      });
      await migrations.initialize();
      try {
        // TypeORM's runner takes no lock between processes: instances starting together on a new
        // release would each run the same migrations, and all but one fail on their DDL. Under the
        // lock they take turns, and whoever comes second finds nothing pending.
        migrated = await withAdvisoryLock(migrations, MIGRATION_LOCK, () => migrations.runMigrations({ transaction: 'each' })).then((ran) =>
          ran.map((m) => m.name),
        );
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
