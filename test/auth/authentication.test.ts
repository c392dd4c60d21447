import { SignJWT } from 'jose';
import { Role } from '../../src/kernel/access';
import { TypenameDocument, ViewerDocument, ViewerKindDocument, ViewerPrincipalDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { TEST_SESSION_SECRET, TestApp } from '../support/harness';
import { VIEWER_SCOPES } from '../support/access';

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const secretKey = new TextEncoder().encode(TEST_SESSION_SECRET);

describe('credentials → principal', () => {
  it.each([
    ['x-api-key', (k: string) => ({ 'x-api-key': k })],
    ['Authorization: Bearer', (k: string) => ({ authorization: `Bearer ${k}` })],
    ['Authorization: x-api-key', (k: string) => ({ authorization: `x-api-key ${k}` })],
  ])('accepts a key in %s', async (_form, headers) => {
    const res = await t.gql(ViewerDocument, {}, { headers: headers(t.rootKey) });
    const data = expectOk(res);
    expect(data.viewer.kind).toBe('API_KEY');
    expect(data.viewer.organization.id).toBe(t.org.id);
    expect(data.viewer.apiKey?.name).toBe('bootstrap');
  });

  it('accepts a session token as Bearer and resolves the user and role permissions', async () => {
    const viewer = await t.addMember('viewer@acme.test', Role.VIEWER);
    const data = expectOk(await t.gql(ViewerDocument, {}, { token: viewer.token }));
    expect(data.viewer).toMatchObject({ kind: 'USER', user: { id: viewer.userId, email: 'viewer@acme.test' }, apiKey: null });
    expect(data.viewer.permissions.scopes).toEqual(VIEWER_SCOPES);
  });

  it('MISSING: no credentials, 401', async () => {
    expectUnauthenticated(await t.gql(ViewerDocument, {}, null), 'MISSING');
  });

  it('MISSING: an empty x-api-key counts as no credentials', async () => {
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { headers: { 'x-api-key': '   ' } }), 'MISSING');
  });

  it.each([
    ['wrong prefix', (k: string) => k.replace('sk_live_', 'sk_test_')],
    ['one body character changed', (k: string) => k.slice(0, 20) + (k[20] === 'a' ? 'b' : 'a') + k.slice(21)],
    ['checksum changed', (k: string) => k.slice(0, -1) + (k.endsWith('A') ? 'B' : 'A')],
    ['truncated', (k: string) => k.slice(0, -2)],
    ['uppercase hex', (k: string) => k.slice(0, 8) + k.slice(8, 72).toUpperCase() + k.slice(72)],
    ['garbage', () => 'not-a-key'],
  ])('MALFORMED (%s) without any database query', async (_case, mutate) => {
    const bad = mutate(t.rootKey);
    const { result, count } = await t.countQueries(() => t.gql(ViewerDocument, {}, { key: bad }));
    expectUnauthenticated(result, 'MALFORMED');
    expect(count).toBe(0);
  });

  it('MALFORMED: a Bearer value with the key prefix but a bad checksum is a key, not a session', async () => {
    const { result, count } = await t.countQueries(() =>
      t.gql(ViewerDocument, {}, { headers: { authorization: `Bearer ${t.rootKey.slice(0, -1)}${t.rootKey.endsWith('x') ? 'y' : 'x'}` } }),
    );
    expectUnauthenticated(result, 'MALFORMED');
    expect(count).toBe(0);
  });

  it('UNSUPPORTED_SCHEME: Authorization: Basic says which forms are accepted, not "malformed key"', async () => {
    const res = await t.gql(ViewerDocument, {}, { headers: { authorization: `Basic ${t.rootKey}` } });
    expectUnauthenticated(res, 'UNSUPPORTED_SCHEME');
    expect(res.body.errors![0].message).toBe(
      'Unsupported Authorization scheme: send the API key as "x-api-key: <key>" or "Authorization: Bearer <key>", a session token as "Authorization: Bearer <token>".',
    );
  });

  it('UNKNOWN: a well-formed key that was never issued costs exactly one query', async () => {
    const unknown = t.app.keyFormat.generate().secret;
    const { result, count } = await t.countQueries(() => t.gql(ViewerDocument, {}, { key: unknown }));
    expectUnauthenticated(result, 'UNKNOWN');
    expect(count).toBe(1);
  });

  it('REVOKED, INACTIVE and EXPIRED keys are refused on the very next request', async () => {
    const revoked = await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.revoke(t.owner.caller, revoked.id, 'leaked');
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: revoked.secret }), 'REVOKED');

    const inactive = await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.setStatus(t.owner.caller, inactive.id, 'INACTIVE' as never);
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: inactive.secret }), 'INACTIVE');
    await t.app.services.apiKeys.setStatus(t.owner.caller, inactive.id, 'ACTIVE' as never);
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: inactive.secret }));

    const expired = await t.createKey({ stats: ['read'] }, { expiresInDays: 1 });
    await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: expired.secret }), 'EXPIRED');
  });

  it('a deleted key is REVOKED', async () => {
    const key = await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.delete(t.owner.caller, key.id);
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: key.secret }), 'REVOKED');
  });

  it('OWNER_REMOVED: a USER key stops when its owner leaves the organization', async () => {
    const admin = await t.addMember('leaver@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    // Remove the membership directly, as a crash between steps or an external tool might.
    await t.sql('DELETE FROM memberships WHERE org_id = $1 AND user_id = $2', [t.org.id, admin.userId]);
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: key.secret }), 'OWNER_REMOVED');
  });

  describe('INVALID_SESSION', () => {
    const sign = (claims: Record<string, unknown>, opts: { secret?: Uint8Array; exp?: string | number } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime(opts.exp ?? '1h')
        .sign(opts.secret ?? secretKey);

    it('wrong signature', async () => {
      const token = await sign({ sub: t.owner.userId, org: t.org.id }, { secret: new TextEncoder().encode('x'.repeat(40)) });
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token }), 'INVALID_SESSION');
    });

    it('expired', async () => {
      const token = await sign({ sub: t.owner.userId, org: t.org.id }, { exp: Math.floor(Date.now() / 1000) - 10 });
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token }), 'INVALID_SESSION');
    });

    it('alg none', async () => {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: t.owner.userId, org: t.org.id, exp: 9999999999 })}.`;
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token }), 'INVALID_SESSION');
    });

    it('a user who is not a member of the named organization', async () => {
      const other = await t.createOtherOrganization('Elsewhere');
      const token = await sign({ sub: t.owner.userId, org: other.org.id });
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token }), 'INVALID_SESSION');
    });

    it('non-uuid claims and garbage', async () => {
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: await sign({ sub: 'x', org: 'y' }) }), 'INVALID_SESSION');
      expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: 'not.a.jwt' }), 'INVALID_SESSION');
    });
  });

  it('every GraphQL operation needs a principal, even __typename', async () => {
    expectUnauthenticated(await t.gql(TypenameDocument, {}, null), 'MISSING');
  });
});

describe('usage recording', () => {
  it('counts requests in memory and flushes them in one statement', async () => {
    const key = await t.createKey({ stats: ['read'] });
    for (let i = 0; i < 3; i++) expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    const { count, statements } = await t.countQueries(() => t.app.services.usage.flush());
    expect(count).toBe(1);
    expect(statements[0]).toMatch(/INSERT INTO api_key_usage/);
    const [row] = await t.dataSource.query('SELECT requests FROM api_key_usage WHERE api_key_id = $1', [key.id]);
    expect(row.requests).toBe(3);
    const [k] = await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [key.id]);
    expect(k.last_used_at).toBeInstanceOf(Date);
  });

  it('a successful authenticated request performs no write on its own path', async () => {
    const { statements } = await t.countQueries(() => t.gql(ViewerKindDocument, {}, { key: t.rootKey }));
    expect(statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE)/i.test(s))).toEqual([]);
  });
});
