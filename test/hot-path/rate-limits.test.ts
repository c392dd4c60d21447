import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  ApiKeyUsageDocument,
  CreateApiKeyRateLimitDocument,
  CreateApiKeySecretDocument,
  CreateShortLinkIdDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { injectGql } from '../support/graphql-request';
import { TestApp, type SecondInstance } from '../support/harness';

const VIEWER = ViewerKindDocument;
/** A fresh key namespace per run, so parallel suites and earlier runs never share counters in Redis. */
const prefix = () => `kgtest:${randomBytes(4).toString('hex')}:`;

describe('per-key rate limits (in-process)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '' } });
  });
  afterAll(() => t.close());

  it('every authenticated response carries the limit headers; the plan sets the limit (FREE: 60/min)', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const first = await t.gql(VIEWER, {}, { key: key.secret });
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('60');
    expect(first.headers['x-ratelimit-remaining']).toBe('59');
    const reset = Number(first.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
  });

  it('over the limit: HTTP 429, RATE_LIMITED, Retry-After; the operation does not run', async () => {
    const key = await t.createKey({ stats: ['read'], shortLinks: ['create'] });
    for (let i = 0; i < 60; i++) expect((await t.gql(VIEWER, {}, { key: key.secret })).status).toBe(200);
    const over = await t.gql(CreateShortLinkIdDocument, { input: { url: 'https://example.com/over' } }, { key: key.secret });
    expect(over.status).toBe(429);
    expect(over.body.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect((await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE url = 'https://example.com/over'"))[0].n).toBe(0);
    // Usage is recorded once the rate limit admits a request: the refused one is not counted.
    await t.app.services.usage.flush();
    expect(await t.dataSource.query('SELECT requests FROM api_key_usage WHERE api_key_id = $1', [key.id])).toEqual([{ requests: 60 }]);
  });

  it('a per-key rateLimitPerMinute below the plan’s applies; limits are per key', async () => {
    const slow = expectOk(
      await t.gql(CreateApiKeyRateLimitDocument, { input: { name: 'slow', permissions: { stats: ['read'] }, rateLimitPerMinute: 3 } }),
    ).createApiKey;
    expect(slow.apiKey.rateLimitPerMinute).toBe(3);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.gql(VIEWER, {}, { key: slow.secret })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const other = await t.createKey({ stats: ['read'] });
    expect((await t.gql(VIEWER, {}, { key: other.secret })).status).toBe(200);
    const zero = await t.gql(CreateApiKeySecretDocument, { input: { name: 'x', permissions: {}, rateLimitPerMinute: 0 } });
    expect(zero.body.errors![0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: { 'input.rateLimitPerMinute': 'rateLimitPerMinute must be between 1 and 100000.' },
    });
  });

  it('requests refused with 429 are not usage: a key limited to 3/min, sent 5, has used 3', async () => {
    const limited = expectOk(
      await t.gql(CreateApiKeyRateLimitDocument, { input: { name: 'metered', permissions: { stats: ['read'] }, rateLimitPerMinute: 3 } }),
    ).createApiKey;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.gql(VIEWER, {}, { key: limited.secret })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    await t.app.services.usage.flush();
    expect(await t.dataSource.query('SELECT requests FROM api_key_usage WHERE api_key_id = $1', [limited.apiKey.id])).toEqual([
      { requests: 3 },
    ]);
    const read = expectOk(await t.gql(ApiKeyUsageDocument, { id: limited.apiKey.id, days: 1 })).apiKey!;
    expect(read.requestCount).toBe(3);
    expect(read.usage.map((u) => u.requests)).toEqual([3]);
  });

  it('a plan change applies to the next request (ENTERPRISE: 1000/min)', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect((await t.gql(VIEWER, {}, { key: key.secret })).headers['x-ratelimit-limit']).toBe('60');
    await t.app.services.organizations.setPlan(t.org.id, 'ENTERPRISE' as never);
    expect((await t.gql(VIEWER, {}, { key: key.secret })).headers['x-ratelimit-limit']).toBe('1000');
    await t.app.services.organizations.setPlan(t.org.id, 'FREE' as never);
  });

  it('missing and malformed credentials do not count towards the failed-authentication throttle', async () => {
    for (let i = 0; i < 40; i++) {
      expectUnauthenticated(await t.gql(VIEWER, {}, null), 'MISSING');
      expectUnauthenticated(await t.gql(VIEWER, {}, { key: 'not-a-key' }), 'MALFORMED');
    }
    // 80 failures, none of them counted: a key nobody has used yet still reaches the database.
    const fresh = await t.createKey({ stats: ['read'] });
    const { result, count } = await t.countQueries(() => t.gql(VIEWER, {}, { key: fresh.secret }));
    expect(result.status).toBe(200);
    expect(count).toBe(1);
  });

  it('failed authentication is throttled per IP: after 30 failures a key not in the verification cache gets 429, before any SQL', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const cached = await t.createKey({ stats: ['read'] });
    expect((await t.gql(VIEWER, {}, { key: cached.secret })).status).toBe(200);
    for (let i = 0; i < 30; i++) {
      const bad = await t.gql(VIEWER, {}, { headers: { 'x-api-key': t.app.keyFormat.generate().secret } });
      expectUnauthenticated(bad, 'UNKNOWN');
    }
    const { result, count } = await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }));
    expect(result.status).toBe(429);
    expect(result.body.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(result.body.errors![0].message).toBe(
      'Too many failed authentication attempts from this address; retry after the time in Retry-After.',
    );
    expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
    expect(count).toBe(0);
    // Credentials that verify without the database cannot be guessed, so they still pass: a key
    // already in the verification cache (no SQL at all), and a valid session token.
    const hit = await t.countQueries(() => t.gql(VIEWER, {}, { key: cached.secret }));
    expect(hit.result.status).toBe(200);
    expect(hit.result.body).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
    expect(hit.count).toBe(0);
    const session = await t.gql(VIEWER, {}, { token: t.owner.token });
    expect(session.status).toBe(200);
    expect(session.body).toEqual({ data: { viewer: { kind: 'USER' } } });
    // A well-formed key that is not cached is still refused outright.
    expect((await t.gql(VIEWER, {}, { key: t.app.keyFormat.generate().secret })).status).toBe(429);
  });
});

describe('shared limits in Redis', () => {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    // Said plainly, and counted by Jest as skipped (never as passed): CI sets REDIS_URL.
    it.skip('skipped: REDIS_URL is not set (CI sets it when Redis answers on 127.0.0.1:6379)', () => undefined);
    return;
  }

  /** Two instances on one database and one Redis namespace, exchanging counts every `syncMs`. */
  function pair(syncMs: string) {
    const env = { RATE_LIMITS_ENABLED: 'true', REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix(), RATE_LIMIT_SYNC_MS: syncMs };
    const s = {} as { t: TestApp; b: SecondInstance; redis: Redis; prefix: string };
    beforeAll(async () => {
      s.t = await TestApp.create({ env });
      s.b = await s.t.secondInstance(env);
      s.redis = new Redis(redisUrl!);
      s.prefix = env.REDIS_KEY_PREFIX;
    });
    afterAll(async () => {
      s.redis?.disconnect();
      await s.b?.close();
      await s.t?.close();
    });
    return s;
  }

  const limitedKey = async (t: TestApp, rateLimitPerMinute: number) =>
    expectOk(
      await t.gql(CreateApiKeyRateLimitDocument, { input: { name: 'shared', permissions: { stats: ['read'] }, rateLimitPerMinute } }),
    ).createApiKey;

  describe('RATE_LIMIT_SYNC_MS=0: exact, one round trip per request', () => {
    const s = pair('0');
    it('requests spread over two instances are limited as one', async () => {
      const key = await limitedKey(s.t, 4);
      const onB = async () => (await injectGql(s.b.app, VIEWER, {}, { 'x-api-key': key.secret })).status;
      const onA = async () => (await s.t.gql(VIEWER, {}, { key: key.secret })).status;
      expect([await onA(), await onB(), await onA(), await onB(), await onA(), await onB()]).toEqual([200, 200, 200, 200, 429, 429]);
    });

    it('the refused requests are not usage on either instance', async () => {
      const key = await limitedKey(s.t, 2);
      const onB = async () => (await injectGql(s.b.app, VIEWER, {}, { 'x-api-key': key.secret })).status;
      const onA = async () => (await s.t.gql(VIEWER, {}, { key: key.secret })).status;
      expect([await onA(), await onB(), await onA(), await onB()]).toEqual([200, 200, 429, 429]);
      await Promise.all([s.t.app.services.usage.flush(), s.b.app.services.usage.flush()]);
      expect(await s.t.dataSource.query('SELECT requests FROM api_key_usage WHERE api_key_id = $1', [key.apiKey.id])).toEqual([
        { requests: 2 },
      ]);
    });
  });

  // A long interval, so counts move only when the test syncs: what an instance knows is exact.
  describe('batched (the default, here synced by hand)', () => {
    const s = pair('60000');

    it('a busy key costs one round trip, then none: its hits are counted here and sent in one batch', async () => {
      const key = await limitedKey(s.t, 100);
      for (let i = 0; i < 20; i++) expect((await s.t.gql(VIEWER, {}, { key: key.secret })).status).toBe(200);
      const redisKey = `${s.prefix}rl:key:${key.apiKey.id}`;
      expect(await s.redis.get(redisKey)).toBe('1');
      await s.t.app.rateLimiter!.sync();
      expect(await s.redis.get(redisKey)).toBe('20');
      const ttl = await s.redis.pttl(redisKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('another instance starts from the shared count; an instance learns the others’ hits when it syncs', async () => {
      const key = await limitedKey(s.t, 10);
      const onA = async () => (await s.t.gql(VIEWER, {}, { key: key.secret })).status;
      const onB = async () => (await injectGql(s.b.app, VIEWER, {}, { 'x-api-key': key.secret })).status;
      for (let i = 0; i < 6; i++) expect(await onA()).toBe(200);
      await s.t.app.rateLimiter!.sync();
      // B's first hit asks Redis (6 + 1), then counts here: 8, 9, 10 pass, 11 does not.
      expect([await onB(), await onB(), await onB(), await onB(), await onB()]).toEqual([200, 200, 200, 200, 429]);
      await s.b.app.rateLimiter!.sync();
      // A has not heard from Redis since its own 6: its next request is the documented overshoot
      // (what the other instance sent within one interval)…
      expect(await onA()).toBe(200);
      // …and once A syncs it knows the shared count, 12, and refuses.
      await s.t.app.rateLimiter!.sync();
      expect(await onA()).toBe(429);
    });
  });
});

describe('Redis unreachable', () => {
  it('falls back to in-process limiting instead of failing or letting everything through', async () => {
    const t = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: prefix() } });
    try {
      const key = expectOk(
        await t.gql(CreateApiKeySecretDocument, { input: { name: 'insured', permissions: { stats: ['read'] }, rateLimitPerMinute: 2 } }),
      ).createApiKey;
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await t.gql(VIEWER, {}, { key: key.secret })).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await t.close();
    }
  });
});
