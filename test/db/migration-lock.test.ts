import { Client } from 'pg';
import { MIGRATIONS } from '../../migrations';
import { MIGRATION_LOCK, openDatabase } from '../../src/db/open-database';
import { loadConfig } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { databaseUrl, ENV_ADMIN_URL, ENV_RUN_ID } from '../support/test-database';
import { until } from '../support/until';

/**
 * Three instances of a new release start at once with MIGRATE_ON_START=true: without a lock
 * each would run the same migrations and all but one would fail on their DDL. Here the test holds
 * the migration lock itself until both migrators are waiting for it, so they contend for the same
 * fresh database at the same moment, then lets them go: both succeed, the migrations run once.
 */
const adminUrl = process.env[ENV_ADMIN_URL]!;
const name = `kg_${process.env[ENV_RUN_ID]}_miglock_${Math.random().toString(36).slice(2, 8)}`;
const url = databaseUrl(adminUrl, name);

async function withClient<T>(connectionString: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

beforeAll(() => withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`)));
afterAll(() => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

it('two migrators on a fresh database both succeed, one applying every migration and the other none', async () => {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url, ENCRYPTION_KEY: '0f'.repeat(32) });
  const holder = new Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const opening = [1, 2].map(() => openDatabase(config, { entities: KEYGATE.entities, migrate: true }));
    const waiting = async () =>
      Number(
        (
          await holder.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
          )
        ).rows[0].n,
      );
    await until('both migrators waiting for the migration lock', async () => (await waiting()) === 2, 60_000);
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);

    const opened = await Promise.all(opening);
    try {
      const applied = opened.map((db) => db.migrated.length).sort((a, b) => a - b);
      expect(applied).toEqual([0, MIGRATIONS.length]);
      const { rows } = await holder.query<{ n: string; distinct: string }>(
        'SELECT count(*) AS n, count(DISTINCT name) AS distinct FROM migrations',
      );
      expect(rows[0]).toEqual({ n: String(MIGRATIONS.length), distinct: String(MIGRATIONS.length) });
    } finally {
      await Promise.all(opened.map((db) => db.close()));
    }
  } finally {
    await holder.end();
  }
});
