import { randomBytes } from 'node:crypto';
import {
  CreateApiKeyRateLimitDocument,
  CreateShortLinkBareDocument,
  UpdateApiKeyBareDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

/**
 * One client must not lock out everyone behind its IP (issue 9 §6), and the failed-auth throttle
 * still stops guessing. Also: changing a key's limit keeps the count of the current window
 * (issue 8 §7).
 */
const VIEWER = ViewerKindDocument;
/** A well-formed key that does not exist: each one costs a lookup, so it counts as a failure. */
const unknownKey = (t: TestApp) => t.app.keyFormat.generate().secret;

async function fail30(t: TestApp, headers: Record<string, string> = {}) {
  for (let i = 0; i < 30; i++) {
    const res = await t.gql(VIEWER, {}, { headers: { 'x-api-key': unknownKey(t), ...headers } });
    expect(res.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'UNKNOWN' });
  }
}

describe('behind one IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '' } });
  });
  afterAll(() => t.close());

  it('after 30 failed guesses: guesses and uncached keys get 429 before any SQL; cached keys and valid sessions still work', async () => {
    const cached = await t.createKey({ stats: ['read'] });
    expect((await t.gql(VIEWER, {}, { key: cached.secret })).status).toBe(200);
    const uncached = await t.createKey({ stats: ['read'] });
    await fail30(t);

    const guess = await t.countQueries(() => t.gql(VIEWER, {}, { key: unknownKey(t) }));
    expect(guess.result.status).toBe(429);
    expect(guess.result.body.errors?.[0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(guess.count).toBe(0);
    const cold = await t.countQueries(() => t.gql(VIEWER, {}, { key: uncached.secret }));
    expect(cold.result.status).toBe(429);
    expect(cold.count).toBe(0);

    // Verified without the database: the key's verdict is cached; a session token's signature checks.
    expect(expectOk(await t.gql(VIEWER, {}, { key: cached.secret }))).toEqual({ viewer: { kind: 'API_KEY' } });
    expect(expectOk(await t.gql(VIEWER, {}, { token: t.owner.token }))).toEqual({ viewer: { kind: 'USER' } });
    // A forged session token is a guess like any other.
    const forged = await t.gql(VIEWER, {}, { token: `${t.owner.token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(429);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: a client cannot escape the throttle by inventing addresses', async () => {
    const other = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '' } });
    try {
      for (let i = 0; i < 30; i++)
        await other.gql(VIEWER, {}, { headers: { 'x-api-key': unknownKey(other), 'x-forwarded-for': `203.0.113.${i}` } });
      const res = await other.gql(VIEWER, {}, { headers: { 'x-api-key': unknownKey(other), 'x-forwarded-for': '198.51.100.7' } });
      expect(res.status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    // server.inject connects from 127.0.0.1: the trusted proxy here.
    t = await TestApp.create({ env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '', TRUST_PROXY: '127.0.0.1' } });
  });
  afterAll(() => t.close());

  it('the client address comes from X-Forwarded-For: one bad client behind the load balancer throttles only itself', async () => {
    await fail30(t, { 'x-forwarded-for': '203.0.113.9' });
    expect((await t.gql(VIEWER, {}, { headers: { 'x-api-key': unknownKey(t), 'x-forwarded-for': '203.0.113.9' } })).status).toBe(429);
    const neighbour = await t.createKey({ stats: ['read'] });
    const res = await t.gql(VIEWER, {}, { headers: { 'x-api-key': neighbour.secret, 'x-forwarded-for': '198.51.100.7' } });
    expect(expectOk(res)).toEqual({ viewer: { kind: 'API_KEY' } });
  });

  it('the audit log records the forwarded client address', async () => {
    const res = await t.gql(
      CreateShortLinkBareDocument,
      { input: { url: 'https://example.com/xff' } },
      { headers: { 'x-api-key': t.rootKey, 'x-forwarded-for': '198.51.100.23' } },
    );
    expectOk(res);
    const [row] = await t.dataSource.query(
      "SELECT ip FROM audit_events WHERE action = 'SHORT_LINK_CREATED' ORDER BY created_at DESC LIMIT 1",
    );
    expect(row.ip).toBe('198.51.100.23');
  });

  it('a bare hop count is refused at start-up (Fastify 5 would trust nothing and silently ignore it)', () => {
    const { loadConfig } = jest.requireActual('../../src/kernel/config') as typeof import('../../src/kernel/config');
    expect(() => loadConfig({ TRUST_PROXY: '2' })).toThrow(
      /TRUST_PROXY: "2" is not an IP address, a CIDR or loopback\|linklocal\|uniquelocal/,
    );
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(loadConfig({}).trustProxy).toBe(false);
  });
});

describe('a changed limit keeps the window’s count', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({
      env: { RATE_LIMITS_ENABLED: 'true', REDIS_URL: '', REDIS_KEY_PREFIX: `kgtest${randomBytes(3).toString('hex')}:` },
    });
  });
  afterAll(() => t.close());

  it('raising and lowering rateLimitPerMinute does not reset the requests already counted', async () => {
    const created = expectOk(
      await t.gql(CreateApiKeyRateLimitDocument, { input: { name: 'limited', permissions: { stats: ['read'] }, rateLimitPerMinute: 20 } }),
    ).createApiKey;
    for (let i = 0; i < 10; i++)
      expect((await t.gql(VIEWER, {}, { key: created.secret })).headers['x-ratelimit-remaining']).toBe(String(19 - i));
    expectOk(await t.gql(UpdateApiKeyBareDocument, { id: created.apiKey.id, input: { rateLimitPerMinute: 50 } }));
    const after = await t.gql(VIEWER, {}, { key: created.secret });
    expect(after.headers['x-ratelimit-limit']).toBe('50');
    expect(after.headers['x-ratelimit-remaining']).toBe('39');
    expectOk(await t.gql(UpdateApiKeyBareDocument, { id: created.apiKey.id, input: { rateLimitPerMinute: 11 } }));
    const over = await t.gql(VIEWER, {}, { key: created.secret });
    expect(over.status).toBe(429);
    expect(over.headers['x-ratelimit-limit']).toBe('11');
  });
});
