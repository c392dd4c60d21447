import type { TestApp } from './harness';

/**
 * Tables written only by write-behind flushes (usage and click counters), which run on their own
 * clock; a refused request must change everything else not at all.
 */
const FLUSHED = new Set(['api_key_usage', 'link_clicks', 'migrations']);

/**
 * Row count and a digest of the content of every keygate table (and pg-boss' job table), so a test
 * can prove that a refused request changed nothing: no row, audit event, outbox row, delivery or
 * rotated secret. `last_used_at` is left out: the usage flush may write it at any moment.
 */
export async function databaseState(t: TestApp): Promise<Record<string, string>> {
  const tables: { name: string }[] = await t.dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const state: Record<string, string> = {};
  for (const { name } of tables) {
    if (FLUSHED.has(name)) continue;
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' ORDER BY (to_jsonb(x) - 'last_used_at')::text)), '') AS digest FROM "${name}" x`,
    );
    state[name] = `${row.n}:${row.digest}`;
  }
  const [jobs] = await t.dataSource.query(`SELECT to_regclass('pgboss.job') IS NOT NULL AS present`);
  if (jobs.present) state['pgboss.job'] = String((await t.dataSource.query('SELECT count(*)::int AS n FROM pgboss.job'))[0].n);
  return state;
}
