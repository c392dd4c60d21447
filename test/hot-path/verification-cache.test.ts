import { hashSecret } from '../../src/auth/key-format';
import { Role } from '../../src/kernel/access';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import type { DataSource } from 'typeorm';
import { expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET, TestApp } from '../support/harness';

const VIEWER = '{ viewer { kind } }';
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('verification cache', () => {
  it('a hit runs no SQL; a well-formed unknown key is looked up once, then answered from memory', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect((await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }))).count).toBe(1);
    expect((await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }))).count).toBe(0);
    const unknown = t.app.keyFormat.generate().secret;
    const first = await t.countQueries(() => t.gql(VIEWER, {}, { key: unknown }));
    expectUnauthenticated(first.result, 'UNKNOWN');
    expect(first.count).toBe(1);
    const again = await t.countQueries(() => t.gql(VIEWER, {}, { key: unknown }));
    expectUnauthenticated(again.result, 'UNKNOWN');
    expect(again.count).toBe(0);
  });

  it.each([
    ['revokeApiKey', 'mutation($id: ID!) { revokeApiKey(id: $id) { id } }', 'REVOKED'],
    ['setApiKeyStatus', 'mutation($id: ID!) { setApiKeyStatus(id: $id, status: INACTIVE) { id } }', 'INACTIVE'],
    ['deleteApiKey', 'mutation($id: ID!) { deleteApiKey(id: $id) }', 'REVOKED'],
    ['rotateApiKey', 'mutation($id: ID!) { rotateApiKey(id: $id) { secret } }', 'ROTATED'],
  ])('%s evicts the cached verdict before its response is sent', async (_name, mutation, reason) => {
    const key = await t.createKey({ stats: ['read'] });
    expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
    expect((await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }))).count).toBe(0);
    expectOk(await t.gql(mutation, { id: key.id }));
    expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), reason);
  });

  it('updateApiKey narrows a cached key at once', async () => {
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] });
    expectOk(await t.gql('{ apiKeys(first: 1) { totalCount } }', {}, { key: key.secret }));
    expectOk(await t.gql('mutation($id: ID!) { updateApiKey(id: $id, input: { permissions: { stats: [read] } }) { id } }', { id: key.id }));
    expectForbidden(await t.gql('{ apiKeys(first: 1) { totalCount } }', {}, { key: key.secret }), 'apiKeys:read');
  });

  it('a member’s demotion and removal reach their cached USER key at once', async () => {
    const admin = await t.addMember('cached-admin@acme.test', Role.ADMIN);
    const key = await t.createKey({ apiKeys: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql('{ apiKeys(first: 1) { totalCount } }', {}, { key: key.secret }));
    expectOk(await t.gql('mutation($u: ID!) { updateMemberRole(userId: $u, role: MEMBER) { role } }', { u: admin.userId }));
    expectForbidden(await t.gql('{ apiKeys(first: 1) { totalCount } }', {}, { key: key.secret }), 'apiKeys:read');
    expectOk(await t.gql('mutation($u: ID!) { removeMember(userId: $u) { userId } }', { u: admin.userId }));
    expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), 'OWNER_REMOVED');
  });

  it('expiry is checked on every request against the cached expiresAt, with no query', async () => {
    const key = await t.createKey({ stats: ['read'] });
    await t.sql("UPDATE api_keys SET expires_at = now() + interval '1500 milliseconds' WHERE id = $1", [key.id]);
    expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
    await new Promise((r) => setTimeout(r, 1_600));
    const late = await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }));
    expectUnauthenticated(late.result, 'EXPIRED');
    expect(late.count).toBe(0);
  });

  it('a grace-period secret stops at its exact end time, from the cache', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
    const rotated = expectOk(await t.gql('mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 1) { secret } }', { id: key.id })).rotateApiKey;
    // Our own NOTIFY comes back a moment after the commit and evicts once more; let it land.
    await new Promise((r) => setTimeout(r, 100));
    expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
    await new Promise((r) => setTimeout(r, 950));
    const late = await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }));
    expectUnauthenticated(late.result, 'ROTATED');
    expect(late.count).toBe(0);
    expectOk(await t.gql(VIEWER, {}, { key: rotated.secret }));
  });

  it('while the invalidation listener is down the cache is bypassed; when it is back, it starts empty', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
    expect(t.app.cache!.usable).toBe(true);
    await t.dataSource.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'keygate-invalidation' AND datname = current_database()");
    await until('cache disabled', () => !t.app.cache!.usable);
    expect(t.app.cache!.size).toBe(0);
    // A change made by raw SQL (no NOTIFY at all) is still seen: every request asks the database.
    await t.dataSource.query("UPDATE api_keys SET status = 'INACTIVE' WHERE id = $1", [key.id]);
    if (!t.app.cache!.usable) {
      const bypass = await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }));
      expectUnauthenticated(bypass.result, 'INACTIVE');
      expect(bypass.count).toBe(1);
    }
    await until('cache re-enabled', () => t.app.cache!.usable, 10_000);
    expect(t.app.cache!.size).toBe(0);
    expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), 'INACTIVE');
  });
});

describe('across instances (same process, two apps on one database)', () => {
  let ds: DataSource;
  let b: App;
  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SESSION_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, RATE_LIMITS_ENABLED: 'false' });
    ds = createDataSource({ entities: KEYGATE.entities, url: t.databaseUrl });
    await ds.initialize();
    b = await buildApp({ config, dataSource: ds, sessionTokens: t.sessions, logger: false, jobs: false });
  });
  afterAll(async () => {
    await b.close();
    await ds.destroy();
  });

  const onB = (key: string) =>
    b.server.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', 'x-api-key': key }, payload: { query: VIEWER } });

  it('a revocation through A is seen by B, which had the key cached', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect((await onB(key.secret)).statusCode).toBe(200);
    expect(b.cache!.get(hashSecret(key.secret))).toMatchObject({ keyId: key.id });
    expectOk(await t.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: key.id }));
    await until('B refuses the key', async () => (await onB(key.secret)).statusCode === 401, 2_000);
    expect(JSON.parse((await onB(key.secret)).body).errors[0].extensions.reason).toBe('REVOKED');
  });

  it('a plan change through the CLI path (organizations.setPlan) reaches B', async () => {
    const key = await t.createKey({ stats: ['read'] });
    await onB(key.secret);
    await t.app.services.organizations.setPlan(t.org.id, 'TEAM' as never);
    await until('B evicted the organization’s keys', () => b.cache!.get(hashSecret(key.secret)) === undefined, 2_000);
    expect(JSON.parse((await onB(key.secret)).body).data).toEqual({ viewer: { kind: 'API_KEY' } });
  });
});
