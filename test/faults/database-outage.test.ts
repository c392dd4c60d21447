import { Client } from 'pg';
import { ENV_ADMIN_URL } from '../support/test-database';
import { ApiKeyTotalDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { until } from '../support/until';
import { TestApp } from '../support/harness';

/**
 * The database goes away under a running server (every connection is dropped and new ones are
 * refused — what a managed PostgreSQL failover looks like) and comes back. While it is away:
 * GraphQL answers 503 SERVICE_UNAVAILABLE without waiting on the pool, /readyz fails, /healthz stays up. When it
 * is back the server recovers with no restart, and usage counted meanwhile reaches the table.
 */
/** Far above a refused connection's few milliseconds, far below Jest's timeout. */
const HANG_MS = 20_000;
let t: TestApp;
let admin: Client;
let database: string;
beforeAll(async () => {
  t = await TestApp.create();
  database = new URL(t.databaseUrl).pathname.slice(1);
  admin = new Client({ connectionString: process.env[ENV_ADMIN_URL] });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => undefined);
  await admin.end();
  await t.close();
});

async function takeDown() {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
}

async function bringBack() {
  await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
}

it('answers 503 fast while the database is away, and recovers on its own with nothing lost', async () => {
  const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] });
  for (let i = 0; i < 3; i++) expectOk(await t.gql(ViewerKindDocument, {}, { key: key.secret }));
  await t.app.services.usage.flush();

  await takeDown();
  // The invalidation listener's connection was dropped too; until it notices, a cached key on a
  // field that needs no SQL is still served from memory (nothing can commit meanwhile). Once it
  // has noticed, the cache is bypassed and authentication itself needs the database.
  await until('the cache is bypassed', () => !t.app.cache!.usable, 60_000, 50);
  // Requests made while it is away: each one answers 503, with no internals in the body. The
  // elapsed-time checks are hang detectors, not speed assertions: a refused connection fails at
  // once, and a request queued on the pool would wait for the whole test timeout.
  for (const request of [
    () => t.gql(ViewerKindDocument, {}, { key: key.secret }),
    () => t.gql(ApiKeyTotalDocument, { first: 5 }, { key: key.secret }),
  ]) {
    const started = Date.now();
    const res = await request();
    expect(Date.now() - started).toBeLessThan(HANG_MS);
    expect(res.status).toBe(503);
    expect(res.body.errors![0]).toMatchObject({
      message: 'The database is unreachable; try again shortly.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/accepting connections|pg_|\n\s+at /);
  }
  // Twenty at once: all 503, none left hanging.
  const burstStarted = Date.now();
  const burst = await Promise.all(Array.from({ length: 20 }, () => t.gql(ApiKeyTotalDocument, { first: 5 }, { key: key.secret })));
  expect(burst.map((r) => r.status)).toEqual(Array(20).fill(503));
  expect(Date.now() - burstStarted).toBeLessThan(HANG_MS);
  // Outside GraphQL too: a redirect answers a bare 503, with nothing of the driver's message.
  const redirect = await t.app.server.inject({ method: 'GET', url: '/some-slug' });
  expect(redirect.statusCode).toBe(503);
  expect(redirect.body).toBe('Service unavailable\n');
  expect((await t.app.server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  expect((await t.app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  // Usage counted in memory now cannot be written yet; the failed flush keeps it.
  t.app.services.usage.record(key.id);
  t.app.services.usage.record(key.id);
  await expect(t.app.services.usage.flush()).rejects.toThrow();
  expect(t.app.services.usage.pendingCount).toBe(2);

  const backAt = Date.now();
  await bringBack();
  await until('GraphQL answers again', async () => (await t.gql(ViewerKindDocument, {}, { key: key.secret })).status === 200, 60_000, 50);
  const recoveryMs = Date.now() - backAt;
  console.log(`recovered ${recoveryMs} ms after the database came back`);
  expect((await t.app.server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  await t.app.services.usage.flush();
  const [row] = await t.dataSource.query('SELECT sum(requests)::int AS n FROM api_key_usage WHERE api_key_id = $1', [key.id]);
  // 3 before, 2 buffered during the outage, 1 for the request that proved recovery (and maybe more polls).
  expect(row.n).toBeGreaterThanOrEqual(6);
  expect(t.app.services.usage.dropped).toBe(0);
}, 180_000);
