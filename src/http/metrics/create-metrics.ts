import type { FastifyBaseLogger } from 'fastify';
import type { DataSource } from 'typeorm';
import type { VerificationCache } from '../../auth/verification-cache';
import type { Config } from '../../kernel/config';
import { KeygateMetrics, type PoolCounts } from './metrics';
import { ScrapeQueries } from './scrape-queries';

/** keygate's metrics when METRICS_PORT is set; null (and nothing recorded anywhere) when it is not. */
export function createMetrics(config: Config, dataSource: DataSource, cache: VerificationCache | null, log: FastifyBaseLogger) {
  if (!config.metrics) return null;
  // TypeORM's PostgreSQL driver keeps pg's Pool (db/database-pool.ts) as `master`.
  const driver = dataSource.driver as unknown as { master?: PoolCounts };
  return new KeygateMetrics({
    cache,
    pool: () => driver.master,
    poolMax: config.database.poolSize,
    queries: new ScrapeQueries(dataSource, (details, message) => log.warn(details, message)),
  });
}
