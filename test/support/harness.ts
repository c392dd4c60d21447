import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { buildApp, buildSchema, type App, type AppDeps } from '../../src/app';
import { ALL_PERMISSIONS, storedJsonFromMask } from './access';
import { type PermissionMask, type PermissionsJson } from '../../src/kernel/permissions';
import type { Caller, UserPrincipal } from '../../src/auth/principal';
import { ROLE_PERMISSIONS } from './access';
import { Role } from '../../src/kernel/access';
import { SessionTokens } from '../../src/auth/session-tokens';
import { loadConfig, type Config } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import { budgetOf } from '../../src/db/request-budget';
import type { KeygateSchema } from '../../src/graphql/schema';
import { ApiKeyType } from '../../src/auth/api-key-states';
import { Membership } from '../../src/modules/members/membership.entity';
import { upsertUser } from '../../src/modules/members/member.service';
import type { Organization } from '../../src/modules/organizations/organization.entity';
import { injectGql, type GqlDocument, type GqlResponse } from './graphql-request';
import { createTestDatabase } from './test-database';
import { REDACTED_PATHS } from '../../src/http/server';

/** The statements outsideBudgets is collecting, in the async context of its callback. */
const budgetWatch = new AsyncLocalStorage<string[]>();

export type { GqlResponse } from './graphql-request';

export const TEST_SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789';
export const TEST_ENCRYPTION_KEY = '0f'.repeat(32);

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Start the webhook queue workers (pg-boss); off by default to keep suites light. */
  jobs?: AppDeps['jobs'];
  /** Replaced seams of the features (DNS answers: `webhookLookup`, `txtResolver`). */
  overrides?: AppDeps['overrides'];
  /** Verifies session tokens; the test secret alone by default (an identity provider's tests add theirs). */
  sessionTokens?: SessionTokens;
  /** Captures the app's log lines (info level, secrets redacted as in production) into this array. */
  logLines?: string[];
}

export type Auth = { key: string } | { token: string } | { headers: Record<string, string> } | null;

/** A second organization in the same database, with its own owner and root key. */
export interface OtherOrganization {
  org: Organization;
  rootKey: string;
  owner: Member;
}

/** Another keygate instance on a test's database (see `TestApp.secondInstance`). */
export interface SecondInstance {
  app: App;
  close(): Promise<void>;
}

export interface Member {
  userId: string;
  email: string;
  role: Role;
  token: string;
  caller: Caller;
}

let sharedSchema: Promise<KeygateSchema> | undefined;

/** One real PostgreSQL database, one app, one bootstrapped organization per test file. */
export class TestApp {
  queryLog: string[] = [];
  private recording = false;

  private constructor(
    readonly app: App,
    readonly dataSource: DataSource,
    readonly config: Config,
    readonly sessions: SessionTokens,
    /** The database's URL, for child processes (CLI, server) that must share it. */
    readonly databaseUrl: string,
    private readonly dropDatabase: () => Promise<void>,
  ) {}

  org!: Organization;
  owner!: Member;
  /** The bootstrap BOT key (all permissions). */
  rootKey!: string;

  static async create(options: TestAppOptions = {}): Promise<TestApp> {
    const db = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      SESSION_SECRET: TEST_SESSION_SECRET,
      USAGE_FLUSH_INTERVAL_MS: '60000',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      // Suites send hundreds of requests a minute with one key; rate-limit suites turn this on.
      RATE_LIMITS_ENABLED: 'false',
      ...options.env,
    });
    let self: TestApp | undefined;
    const dataSource = createDataSource({
      entities: KEYGATE.entities,
      url: db.url,
      queryObserver: (sql, runner) => self?.observe(sql, runner),
      poolSize: 5,
      timeouts: config.database.timeouts,
    });
    await dataSource.initialize();
    const sessions = options.sessionTokens ?? new SessionTokens({ secret: TEST_SESSION_SECRET, ttlSeconds: 3600 });
    const lines = options.logLines;
    sharedSchema ??= buildSchema();
    const app = await buildApp({
      config,
      dataSource,
      sessionTokens: sessions,
      schema: await sharedSchema,
      logger: lines
        ? { level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, stream: { write: (line: string) => lines.push(line) } }
        : false,
      jobs: options.jobs ?? false,
      overrides: options.overrides,
    });
    self = new TestApp(app, dataSource, config, sessions, db.url, db.drop);
    await self.bootstrap();
    return self;
  }

  private observe(sql: string, runner: QueryRunner | undefined) {
    if (this.recording) this.queryLog.push(sql);
    const watch = budgetWatch.getStore();
    if (watch && !budgetOf(runner)) watch.push(sql);
  }

  /**
   * Runs `fn` and returns, beside its result, every SQL statement sent on its behalf (in its
   * async context: requests it makes through `server.inject` included) that no request budget
   * counted (db/request-budget.ts). The AsyncLocalStorage is the test's own: keygate has none.
   */
  async outsideBudgets<T>(fn: () => Promise<T>): Promise<{ result: T; outside: string[] }> {
    const outside: string[] = [];
    const result = await budgetWatch.run(outside, fn);
    return { result, outside };
  }

  private async bootstrap() {
    const result = await this.app.services.organizations.bootstrap({ name: 'Acme', ownerEmail: 'owner@acme.test' });
    this.org = result.organization;
    this.rootKey = result.apiKey.secret;
    this.owner = await this.memberFor(result.owner.id, result.owner.email, Role.OWNER, this.org.id);
  }

  /**
   * Changes rows behind the services' back (to fake time passing, or a crash between steps).
   * The services announce every change that affects authentication; raw SQL must too.
   */
  async sql(text: string, params: unknown[] = []): Promise<void> {
    await this.dataSource.query(text, params);
    const cache = this.app.cache;
    cache?.apply({ kind: 'all' });
    const afterLocal = cache?.epoch ?? 0;
    await this.dataSource.query('SELECT pg_notify(\'keygate_auth\', \'{"kind":"all"}\')');
    // Wait for our own notification to come back, so it cannot evict what the test caches next.
    const deadline = Date.now() + 2_000;
    while (cache?.usable && cache.epoch === afterLocal && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  /** Counts SQL statements run while `fn` runs. */
  async countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; count: number; statements: string[] }> {
    this.queryLog = [];
    this.recording = true;
    try {
      const result = await fn();
      return { result, count: this.queryLog.length, statements: [...this.queryLog] };
    } finally {
      this.recording = false;
    }
  }

  /** Sends one operation to this app, as the root key unless `auth` says otherwise. */
  async gql<T = any, V = Record<string, unknown>>(
    document: GqlDocument<T, V>,
    variables?: V,
    auth: Auth = { key: this.rootKey },
  ): Promise<GqlResponse<T>> {
    const headers: Record<string, string> = { 'user-agent': 'keygate-tests' };
    if (auth && 'key' in auth) headers['x-api-key'] = auth.key;
    if (auth && 'token' in auth) headers.authorization = `Bearer ${auth.token}`;
    if (auth && 'headers' in auth) Object.assign(headers, auth.headers);
    return injectGql(this.app, document, variables, headers);
  }

  /** Adds a member straight through the database (no audit); returns a session for them. */
  async addMember(email: string, role: Role, orgId = this.org.id): Promise<Member> {
    const user = await this.dataSource.transaction((m) => upsertUser(m, email));
    await this.dataSource.getRepository(Membership).insert({ orgId, userId: user.id, role });
    return this.memberFor(user.id, user.email, role, orgId);
  }

  private async memberFor(userId: string, email: string, role: Role, orgId: string): Promise<Member> {
    const principal: UserPrincipal = {
      kind: 'USER',
      userId,
      orgId,
      role,
      permissions: ROLE_PERMISSIONS[role],
      plan: this.org?.plan ?? ('FREE' as never),
      email,
    };
    return { userId, email, role, token: await this.sessions.sign({ userId, orgId }), caller: { principal, ip: null, userAgent: null } };
  }

  /** Creates a key through the service (as `by`, the owner by default). */
  async createKey(
    permissions: PermissionsJson | PermissionMask = ALL_PERMISSIONS,
    options: { name?: string; type?: ApiKeyType; by?: Member; expiresInDays?: number } = {},
  ): Promise<{ id: string; secret: string }> {
    const json = typeof permissions === 'bigint' ? storedJsonFromMask(permissions) : permissions;
    const created = await this.app.services.apiKeys.create((options.by ?? this.owner).caller, {
      name: options.name ?? 'test key',
      type: options.type ?? ApiKeyType.BOT,
      permissions: json,
      expiresInDays: options.expiresInDays,
    });
    return { id: created.apiKey.id, secret: created.secret };
  }

  /** A second organization with its own owner and root key, in the same database. */
  async createOtherOrganization(name = 'Other'): Promise<OtherOrganization> {
    const result = await this.app.services.organizations.bootstrap({
      name,
      ownerEmail: `owner@${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.test`,
    });
    return {
      org: result.organization,
      rootKey: result.apiKey.secret,
      owner: await this.memberFor(result.owner.id, result.owner.email, Role.OWNER, result.organization.id),
    };
  }

  /**
   * Another keygate instance on this test's database, as a second server would be: its config is
   * `env` over the test secrets (nothing else from this app's), it shares this app's session
   * signer, has no logger, and no job workers unless `jobs` says so. It gets a connection pool
   * of its own, unless `sharePool` hands it this app's data source. Close it before `close()`.
   */
  async secondInstance(
    env: Record<string, string> = {},
    options: { jobs?: AppDeps['jobs']; sharePool?: boolean } = {},
  ): Promise<SecondInstance> {
    const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SESSION_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...env });
    const dataSource = options.sharePool ? this.dataSource : createDataSource({ entities: KEYGATE.entities, url: this.databaseUrl });
    if (!options.sharePool) await dataSource.initialize();
    const app = await buildApp({ config, dataSource, sessionTokens: this.sessions, logger: false, jobs: options.jobs ?? false });
    return {
      app,
      close: async () => {
        await app.close();
        if (!options.sharePool) await dataSource.destroy();
      },
    };
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.dataSource.destroy();
    await this.dropDatabase();
  }
}
