import type Redis from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { WriteBehindOptions } from './db/write-behind';
import type { Config } from './kernel/config';

/**
 * Starts the write-behind buffers (usage, clicks). With Redis each gets a journal there
 * (`<REDIS_KEY_PREFIX>wb:<name>:…`): entries leave memory every USAGE_JOURNAL_INTERVAL_MS, and
 * any node drains the journal into PostgreSQL every USAGE_FLUSH_INTERVAL_MS. Without Redis they
 * flush to PostgreSQL every USAGE_FLUSH_INTERVAL_MS. A failing flush is logged once per streak.
 */
export function startWriteBehind(
  buffers: Record<string, { start(intervalMs: number, options: WriteBehindOptions): void }>,
  deps: { config: Config; redis: Redis | null; log: FastifyBaseLogger },
): void {
  const { config, redis, log } = deps;
  const observer = {
    failed: (buffer: string, error: unknown) =>
      log.error({ buffer, err: error }, `${buffer} flush failed; kept in memory (or Redis) and retried every flush interval`),
    recovered: (buffer: string, failures: number) => log.info({ buffer, failures }, `${buffer} flush succeeded again`),
  };
  for (const [name, buffer] of Object.entries(buffers)) {
    const journal = redis ? { redis, base: `${config.redisKeyPrefix}wb:${name}`, tickMs: config.usageJournalIntervalMs } : undefined;
    buffer.start(config.usageFlushIntervalMs, { name, observer, journal });
  }
}
