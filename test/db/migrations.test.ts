import { DataSource } from 'typeorm';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import { createTestDatabase } from '../support/test-database';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let ds: DataSource;
beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ entities: KEYGATE.entities, url: db.url });
  await ds.initialize();
});
afterAll(async () => {
  await ds.destroy();
  await db.drop();
});

describe('migrations', () => {
  it('entities and migrations agree: the schema builder has nothing to change (as `migration:generate --check`)', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('no migration is pending on a migrated database', async () => {
    expect(await ds.showMigrations()).toBe(false);
  });

  it('every migration can be reverted and applied again', async () => {
    const count = ds.migrations.length;
    for (let i = 0; i < count; i++) await ds.undoLastMigration({ transaction: 'each' });
    const [{ n }] = await ds.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'",
    );
    expect(n).toBe(0);
    const applied = await ds.runMigrations({ transaction: 'each' });
    expect(applied).toHaveLength(count);
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });

  it('the core tables exist: organizations, users, memberships, keys, their secrets and usage, the audit log', async () => {
    const rows: { table_name: string }[] = await ds.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['organizations', 'users', 'memberships', 'api_keys', 'api_key_secrets', 'api_key_usage', 'audit_events']),
    );
  });
});
