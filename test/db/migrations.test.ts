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

  it('OrganizationNameUnique keeps the oldest of duplicate names and suffixes the others with their id, then refuses new ones', async () => {
    const last = async () => (await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1'))[0].name;
    while ((await last()) !== 'LiveApiKeyCount1796053000000') await ds.undoLastMigration({ transaction: 'each' });
    const rows: { id: string }[] = await ds.query(
      `INSERT INTO organizations (name, created_at) VALUES ('Acme', now() - interval '2 days'), ('ACME', now() - interval '1 day'), ('acme', now()), ('Other', now())
       RETURNING id`,
    );
    await ds.runMigrations({ transaction: 'each' });
    const names: { id: string; name: string }[] = await ds.query(
      'SELECT id, name FROM organizations ORDER BY array_position($1::uuid[], id)',
      [rows.map((r) => r.id)],
    );
    expect(names).toEqual([
      { id: rows[0].id, name: 'Acme' },
      { id: rows[1].id, name: `ACME (${rows[1].id.slice(0, 8)})` },
      { id: rows[2].id, name: `acme (${rows[2].id.slice(0, 8)})` },
      { id: rows[3].id, name: 'Other' },
    ]);
    await expect(ds.query("INSERT INTO organizations (name) VALUES ('aCmE')")).rejects.toMatchObject({
      code: '23505',
      constraint: 'organizations_name_lower_key',
    });
    await ds.query('DELETE FROM organizations');
  });

  it('MemberFirstSignIn backfills members who ever signed in (a browser session or identity link) as joined when they joined; others stay pending', async () => {
    const last = async () => (await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1'))[0].name;
    while ((await last()) !== 'OrganizationNameUnique1796057000000') await ds.undoLastMigration({ transaction: 'each' });
    const [org] = await ds.query(`INSERT INTO organizations (name) VALUES ('Backfill') RETURNING id`);
    const users: { id: string; email: string }[] = await ds.query(
      `INSERT INTO users (email) VALUES ('session@b.test'), ('identity@b.test'), ('early@b.test'), ('never@b.test') RETURNING id, email`,
    );
    const id = (email: string) => users.find((u) => u.email === email)!.id;
    await ds.query(
      `INSERT INTO memberships (org_id, user_id, role, joined_at)
       SELECT $1, u.id, 'MEMBER', '2026-01-10T00:00:00Z' FROM users u WHERE u.email LIKE '%@b.test'`,
      [org.id],
    );
    await ds.query(
      `INSERT INTO browser_sessions (token_hash, user_id, created_at, expires_at) VALUES
         (repeat('a', 64), $1, '2026-02-01T00:00:00Z', now()), (repeat('b', 64), $1, '2026-03-01T00:00:00Z', now()),
         (repeat('c', 64), $2, '2026-01-01T00:00:00Z', now())`,
      [id('session@b.test'), id('early@b.test')],
    );
    await ds.query(
      `INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ('https://idp.test', 's1', $1, '2026-02-15T00:00:00Z')`,
      [id('identity@b.test')],
    );
    await ds.runMigrations({ transaction: 'each' });
    const rows: { email: string; first: string | null }[] = await ds.query(
      `SELECT u.email, to_char(m.first_signed_in_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first
         FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email`,
      [org.id],
    );
    // Joined when they joined: a session's own time is not per organization, and is not shown.
    expect(rows).toEqual([
      { email: 'early@b.test', first: '2026-01-10' },
      { email: 'identity@b.test', first: '2026-01-10' },
      { email: 'never@b.test', first: null },
      { email: 'session@b.test', first: '2026-01-10' },
    ]);
    await ds.query('DELETE FROM organizations WHERE id = $1', [org.id]);
    await ds.query(`DELETE FROM users WHERE email LIKE '%@b.test'`);
  });

  it('ClickDevice: clicks recorded before it become bot (the Bot family) or other; new clicks name their device', async () => {
    const last = async () => (await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1'))[0].name;
    while ((await last()) !== 'OrganizationNameUnique1796057000000') await ds.undoLastMigration({ transaction: 'each' });
    const [org] = await ds.query("INSERT INTO organizations (name) VALUES ('Clicks') RETURNING id");
    const [link] = await ds.query(
      "INSERT INTO short_links (org_id, slug, url, created_by_kind, created_by_id) VALUES ($1, 'old', 'https://example.com/', 'BOT', gen_random_uuid()) RETURNING id",
      [org.id],
    );
    await ds.query(
      `INSERT INTO link_clicks (org_id, link_id, clicked_at, user_agent_family)
       SELECT $1, $2, now(), f FROM unnest(ARRAY['Bot', 'Chrome', 'curl']) AS f`,
      [org.id, link.id],
    );
    await ds.runMigrations({ transaction: 'each' });
    expect(await ds.query('SELECT user_agent_family, device FROM link_clicks ORDER BY user_agent_family')).toEqual([
      { user_agent_family: 'Bot', device: 'bot' },
      { user_agent_family: 'Chrome', device: 'other' },
      { user_agent_family: 'curl', device: 'other' },
    ]);
    await ds.query('DELETE FROM organizations');
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
