import Redis from 'ioredis';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import { ApiKeyTotalDocument, ViewerKindDocument } from '../generated/graphql';
import { BlackholeProxy } from '../support/blackhole-proxy';
import { injectGql, type GqlDocument } from '../support/graphql-request';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET, TestApp, type SecondInstance } from '../support/harness';

/**
 * Slow, not dead: a TCP proxy in front of PostgreSQL (or Redis) stops forwarding but keeps every
 * socket open, so nothing ever fails by itself. Every dependency call is bounded in time, so
 * requests still answer — 503 for PostgreSQL, the in-process rate limiter for Redis — within the
 * configured bounds, and a key revoked meanwhile (from a connection outside the partition) is
 * refused: the invalidation listener notices that its own NOTIFY echo stopped and the
 * verification cache is bypassed. Bounds below are hang detectors, generous for a loaded machine.
 */
const HANG_DETECTOR_MS = 10_000;

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = HANG_DETECTOR_MS): Promise<number> {
  const started = Date.now();
  while (!(await fn())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

/** One operation to `app` (not `t.app`), timed. */
async function call<T>(app: App, document: GqlDocument<T, Record<string, never>>, key: string) {
  const started = process.hrtime.bigint();
  const res = await injectGql(app, document, undefined, { 'x-api-key': key });
  return { ...res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

describe('PostgreSQL behind a blackhole', () => {
  let t: TestApp;
  let proxy: BlackholeProxy;
  let app: App;
  const env = {
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SESSION_SECRET,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    RATE_LIMITS_ENABLED: 'false',
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_STATEMENT_TIMEOUT_MS: '1000',
    INVALIDATION_HEARTBEAT_MS: '200',
    INVALIDATION_ECHO_TIMEOUT_MS: '1000',
  };
  beforeAll(async () => {
    t = await TestApp.create();
    const direct = new URL(t.databaseUrl);
    proxy = new BlackholeProxy({ host: direct.hostname, port: Number(direct.port) });
    const proxied = new URL(t.databaseUrl);
    proxied.port = String(await proxy.start());
    const config = loadConfig(env);
    const dataSource = createDataSource({
      entities: KEYGATE.entities,
      url: proxied.toString(),
      timeouts: config.database.timeouts,
      poolSize: 4,
    });
    await dataSource.initialize();
    app = await buildApp({ config, dataSource, sessionTokens: t.sessions, logger: false, jobs: false });
  });
  afterAll(async () => {
    // Ending the proxy resets every socket, so the app's pools can close.
    await proxy.close();
    await app.close().catch(() => undefined);
    await (app as unknown as { server: { close(): Promise<void> } }).server.close().catch(() => undefined);
    await t.close();
  });

  it('answers 503 within the bound, and a key revoked during the partition is refused', async () => {
    const key = await t.createKey({ apiKeys: ['read'] });
    expect((await call(app, ApiKeyTotalDocument, key.secret)).status).toBe(200);
    expect(app.cache!.usable).toBe(true);

    proxy.partition();
    const partitionedAt = Date.now();
    // A request that needs SQL: the pooled connection never answers; the client-side statement
    // bound (DB_STATEMENT_TIMEOUT_MS + 1 s) ends the wait.
    const first = await call(app, ApiKeyTotalDocument, key.secret);
    console.log(`PostgreSQL partition: first request answered ${first.status} after ${first.ms.toFixed(0)} ms`);
    expect(first.status).toBe(503);
    expect(first.body.errors![0].extensions!.code).toBe('SERVICE_UNAVAILABLE');
    expect(first.ms).toBeLessThan(HANG_DETECTOR_MS);

    // The listener's echo stopped: the cache is bypassed (within INVALIDATION_ECHO_TIMEOUT_MS).
    const detected = await waitFor('the verification cache to be bypassed', () => !app.cache!.usable);
    console.log(`PostgreSQL partition: verification cache bypassed ${Date.now() - partitionedAt} ms after the partition began`);
    expect(detected).toBeLessThan(HANG_DETECTOR_MS);

    // Revoked from outside the partition; this instance cannot hear the NOTIFY.
    await t.sql("UPDATE api_keys SET status = 'REVOKED', revoked_at = now() WHERE id = $1", [key.id]);
    for (let i = 0; i < 3; i++) {
      const res = await call(app, ViewerKindDocument, key.secret);
      console.log(`PostgreSQL partition: revoked key answered ${res.status} after ${res.ms.toFixed(0)} ms`);
      expect(res.status).toBe(503);
      expect(res.body.errors).toEqual([
        { message: 'The database is unreachable; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } },
      ]);
      expect(res.ms).toBeLessThan(HANG_DETECTOR_MS);
    }
    // The process itself is never stuck.
    expect((await app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
  }, 60_000);
});

describe('Redis behind a blackhole', () => {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    // Counted by Jest as skipped (never as passed): CI sets REDIS_URL.
    it.skip('skipped: REDIS_URL is not set (CI sets it when Redis answers on 127.0.0.1:6379)', () => undefined);
    return;
  }
  let t: TestApp;
  let proxy: BlackholeProxy;
  let instance: SecondInstance;
  let app: App;
  const prefix = `kgtest${Date.now().toString(36)}:`;
  beforeAll(async () => {
    t = await TestApp.create();
    const target = new URL(redisUrl);
    proxy = new BlackholeProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const proxied = new URL(redisUrl);
    proxied.port = String(await proxy.start());
    instance = await t.secondInstance(
      {
        RATE_LIMITS_ENABLED: 'true',
        REDIS_URL: proxied.toString(),
        REDIS_KEY_PREFIX: prefix,
        REDIS_COMMAND_TIMEOUT_MS: '200',
        REDIS_HEARTBEAT_MS: '200',
      },
      { sharePool: true },
    );
    app = instance.app;
  });
  afterAll(async () => {
    await proxy.close();
    await instance.close();
    await t.close();
  });

  it('falls back to in-process limits within the command timeout, and stays fast', async () => {
    const key = await t.createKey({ stats: ['read'] });
    // Redis is in use before the partition: a request's counter lands there (the first requests
    // may have been counted in process while the connection was still being made).
    const direct = new Redis(redisUrl);
    try {
      await waitFor('a counter in Redis', async () => {
        expect((await call(app, ViewerKindDocument, key.secret)).status).toBe(200);
        return (await direct.keys(`${prefix}*`)).length > 0;
      });
    } finally {
      direct.disconnect();
    }

    proxy.partition();
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await call(app, ViewerKindDocument, key.secret);
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('60');
      latencies.push(Math.round(res.ms));
      expect(res.ms).toBeLessThan(HANG_DETECTOR_MS);
    }
    console.log(`Redis partition: request latencies ${latencies.join(', ')} ms (REDIS_COMMAND_TIMEOUT_MS=200)`);
    // The in-process limiter counts from here: the limit still holds.
    const remaining = Number((await call(app, ViewerKindDocument, key.secret)).headers['x-ratelimit-remaining']);
    expect(remaining).toBeLessThan(60);
  }, 60_000);
});
