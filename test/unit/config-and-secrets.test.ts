import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveSessionSecret } from '../../src/auth/session-tokens';
import { ConfigError, loadConfig } from '../../src/kernel/config';

describe('config', () => {
  it('has working defaults for a fresh development machine', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 4000,
      apiKeyPrefix: 'sk_live_',
      publicUrl: 'http://localhost:4000',
    });
    expect(c.database).toEqual({
      url: undefined,
      embeddedPort: 0,
      migrateOnStart: true,
      poolSize: 10,
      timeouts: { connectMs: 5_000, statementMs: 5_000, idleInTransactionMs: 30_000, keepAliveDelayMs: 10_000 },
      budget: { statementsPerRequest: 100, connectionsPerRequest: 3, connectionsPerOrganization: 5 },
    });
    expect(c.invalidation).toEqual({ heartbeatMs: 1_000, echoTimeoutMs: 3_000 });
    expect(c.redis).toEqual({ connectTimeoutMs: 2_000, commandTimeoutMs: 500, heartbeatMs: 1_000 });
    expect(c.webhooks.concurrency).toEqual({ total: 10, perEndpoint: 2, perOrganization: 5 });
  });

  it('every bound is validated, and the per-request and per-organization shares never exceed the pool', () => {
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/DB_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ REDIS_COMMAND_TIMEOUT_MS: 'soon' })).toThrow(/REDIS_COMMAND_TIMEOUT_MS/);
    const small = loadConfig({ DB_POOL_SIZE: '4', DB_CONNECTIONS_PER_REQUEST: '10', DB_CONNECTIONS_PER_ORGANIZATION: '9' });
    expect(small.database.budget).toEqual({ statementsPerRequest: 100, connectionsPerRequest: 4, connectionsPerOrganization: 4 });
    // The echo may not be expected sooner than two heartbeats.
    expect(loadConfig({ INVALIDATION_HEARTBEAT_MS: '2000', INVALIDATION_ECHO_TIMEOUT_MS: '1000' }).invalidation.echoTimeoutMs).toBe(4_000);
  });

  it('refuses production without SESSION_SECRET or an identity provider, naming both', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET .* or OIDC_ISSUER/);
    expect(
      loadConfig({ NODE_ENV: 'production', OIDC_ISSUER: 'https://idp.example', OIDC_AUDIENCE: 'keygate', ENCRYPTION_KEY: 'a'.repeat(64) })
        .host,
    ).toBe('0.0.0.0');
  });

  it('an identity provider needs an audience: the client id, or OIDC_AUDIENCE (else any app’s token would do)', () => {
    expect(() => loadConfig({ OIDC_ISSUER: 'https://idp.example' })).toThrow(
      'OIDC_AUDIENCE: set it (or OIDC_CLIENT_ID, its default) with OIDC_ISSUER: tokens are accepted only for this audience.',
    );
    expect(() => loadConfig({ JWKS_URL: 'https://idp.example/jwks', JWT_ISSUER: 'https://idp.example' })).toThrow(/OIDC_AUDIENCE: set it/);
    expect(loadConfig({ JWKS_URL: 'https://idp.example/jwks', JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'api' }).oidc.audience).toBe(
      'api',
    );
  });

  it('an identity provider: JWKS_URL needs its issuer; the redirect URL and audience have defaults', () => {
    expect(() => loadConfig({ JWKS_URL: 'https://idp.example/jwks' })).toThrow(/JWKS_URL: set OIDC_ISSUER/);
    expect(() => loadConfig({ OIDC_CLIENT_ID: 'keygate' })).toThrow(/OIDC_CLIENT_ID: set OIDC_ISSUER too/);
    const { oidc } = loadConfig({ OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'keygate', PUBLIC_URL: 'https://keys.example/' });
    expect(oidc).toEqual({
      issuer: 'https://idp.example',
      jwksUrl: undefined,
      audience: 'keygate',
      client: {
        id: 'keygate',
        secret: undefined,
        redirectUrl: 'https://keys.example/console/auth/oidc/callback',
        scopes: 'openid email profile',
      },
      claims: { email: 'email', emailVerified: 'email_verified', name: 'name', org: 'org' },
    });
    expect(
      loadConfig({ OIDC_ISSUER: 'https://idp.example', OIDC_AUDIENCE: 'keygate', OIDC_EMAIL_CLAIM: 'upn', OIDC_ORG_CLAIM: 'tenant' }).oidc
        .claims,
    ).toMatchObject({
      email: 'upn',
      org: 'tenant',
    });
  });

  it.each([
    [{ PORT: 'x' }, 'PORT'],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ API_KEY_PREFIX: 'SK-' }, 'API_KEY_PREFIX'],
    [{ JWKS_URL: 'not a url' }, 'JWKS_URL'],
  ])('rejects %o naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });

  it('metrics: off unless METRICS_PORT is set, loopback by default, never the public port', () => {
    expect(loadConfig({}).metrics).toBeNull();
    expect(loadConfig({ METRICS_PORT: '' }).metrics).toBeNull();
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), ENCRYPTION_KEY: '0f'.repeat(32), METRICS_PORT: '9464' }).metrics,
    ).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(() => loadConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_PORT: '9464', METRICS_HOST: 'metrics.example.com' })).toThrow(/METRICS_HOST/);
  });

  it('MIGRATE_ON_START=false is honoured', () => {
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).database.migrateOnStart).toBe(false);
  });
});

describe('development session secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keygate-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated once, kept under DATA_DIR with mode 0600, and reused', async () => {
    const config = loadConfig({ DATA_DIR: dir });
    const first = await resolveSessionSecret(config);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(dir, 'session-secret')).mode & 0o777).toBe(0o600);
    expect(await resolveSessionSecret(config)).toBe(first);
  });

  it('SESSION_SECRET wins; with only an identity provider there is no HS256 secret at all', async () => {
    const secret = 's'.repeat(40);
    expect(await resolveSessionSecret(loadConfig({ DATA_DIR: dir, SESSION_SECRET: secret }))).toBe(secret);
    expect(
      await resolveSessionSecret(loadConfig({ DATA_DIR: dir, OIDC_ISSUER: 'https://idp.example', OIDC_AUDIENCE: 'keygate' })),
    ).toBeUndefined();
  });
});
