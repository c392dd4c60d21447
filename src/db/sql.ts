import type { EntityManager } from 'typeorm';

/**
 * The rows a statement returns, whatever its kind. TypeORM's `query()` answers UPDATE/DELETE …
 * RETURNING with `[rows, rowCount]` but SELECT/INSERT with `rows`, which is easy to misread;
 * the structured result has one shape for all.
 */
export async function rowsOf<T>(manager: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
