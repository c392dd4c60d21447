import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
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
export async function openDatabase(config: Config, options: { migrate: boolean }): Promise<OpenDatabase> {
  let embedded: EmbeddedPostgresHandle | undefined;
  let url = config.database.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: config.database.embeddedPort });
    url = embedded.url;
  }
  const dataSource = createDataSource({ url });
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const migrated = options.migrate ? (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name) : [];
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
