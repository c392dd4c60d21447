import { hashSecret } from '../../src/auth/key-format';
import { Role } from '../../src/kernel/access';
import {
  ApiKeyTotalDocument,
  DeleteApiKeyDocument,
  RemoveMemberBareDocument,
  RevokeApiKeyBareDocument,
  RotateApiKeySecretDocument,
  SetApiKeyStatusBareDocument,
  UpdateApiKeyBareDocument,
  UpdateMemberRoleBareDocument,
  ViewerKindDocument,
} from '../generated/graphql';
import { expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import { injectGql } from '../support/graphql-request';
import { until } from '../support/until';
import { TestApp, type GqlResponse, type SecondInstance } from '../support/harness';

const VIEWER = ViewerKindDocument;
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

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
    ['revokeApiKey', (id: string) => t.gql(RevokeApiKeyBareDocument, { id }), 'REVOKED'],
    ['setApiKeyStatus', (id: string) => t.gql(SetApiKeyStatusBareDocument, { id, status: 'INACTIVE' }), 'INACTIVE'],
    ['deleteApiKey', (id: string) => t.gql(DeleteApiKeyDocument, { id }), 'REVOKED'],
    ['rotateApiKey', (id: string) => t.gql(RotateApiKeySecretDocument, { id }), 'ROTATED'],
  ] as [string, (id: string) => Promise<GqlResponse<unknown>>, string][])(
    '%s evicts the cached verdict before its response is sent',
    async (_name, mutation, reason) => {
      const key = await t.createKey({ stats: ['read'] });
      expectOk(await t.gql(VIEWER, {}, { key: key.secret }));
      expect((await t.countQueries(() => t.gql(VIEWER, {}, { key: key.secret }))).count).toBe(0);
      expectOk(await mutation(key.id));
      expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), reason);
    },
  );

  it('updateApiKey narrows a cached key at once', async () => {
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(UpdateApiKeyBareDocument, { id: key.id, input: { permissions: { stats: ['read'] } } }));
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
  });

  it('a member’s demotion and removal reach their cached USER key at once', async () => {
    const admin = await t.addMember('cached-admin@acme.test', Role.ADMIN);
    const key = await t.createKey({ apiKeys: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(UpdateMemberRoleBareDocument, { userId: admin.userId, role: 'MEMBER' }));
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    expectOk(await t.gql(RemoveMemberBareDocument, { userId: admin.userId }));
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
    const rotated = expectOk(await t.gql(RotateApiKeySecretDocument, { id: key.id, gracePeriodSeconds: 1 })).rotateApiKey;
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
    await t.dataSource.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'keygate-invalidation' AND datname = current_database()",
    );
    await until('cache disabled', () => !t.app.cache!.usable, 5_000);
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
  let b: SecondInstance;
  beforeAll(async () => {
    b = await t.secondInstance({ RATE_LIMITS_ENABLED: 'false' });
  });
  afterAll(() => b.close());

  const onB = (key: string) => injectGql(b.app, VIEWER, {}, { 'x-api-key': key });

  it('a revocation through A is seen by B, which had the key cached', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect((await onB(key.secret)).status).toBe(200);
    expect(b.app.cache!.get(hashSecret(key.secret))).toMatchObject({ keyId: key.id });
    expectOk(await t.gql(RevokeApiKeyBareDocument, { id: key.id }));
    await until('B refuses the key', async () => (await onB(key.secret)).status === 401, 2_000);
    expectUnauthenticated(await onB(key.secret), 'REVOKED');
  });

  it('a plan change through the CLI path (organizations.setPlan) reaches B', async () => {
    const key = await t.createKey({ stats: ['read'] });
    await onB(key.secret);
    await t.app.services.organizations.setPlan(t.org.id, 'TEAM' as never);
    await until('B evicted the organization’s keys', () => b.app.cache!.get(hashSecret(key.secret)) === undefined, 2_000);
    expect(expectOk(await onB(key.secret))).toEqual({ viewer: { kind: 'API_KEY' } });
  });
});
