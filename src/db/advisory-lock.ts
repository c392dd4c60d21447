import type { DataSource } from 'typeorm';

/**
 * Runs `fn` while holding a PostgreSQL session advisory lock, so processes doing the same start-up
 * work on one database take turns. The lock is held on a connection of its own: `fn` may use any
 * other (the data source's pool, or another client altogether).
 */
export async function withAdvisoryLock<T>(dataSource: DataSource, key: string, fn: () => Promise<T>): Promise<T> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await fn();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await lock.release();
  }
}
