import { ALL_PERMISSIONS, maskFromScopes } from '../support/access';
import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import { ViewerKindDocument } from '../generated/graphql';
import { expectOk, expectRuleRefusal, expectUnauthenticated } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: each reproduces an input reported in issue 8 §7, as it was sent.

/**
 * Issue 8 §7: refusals say what really stopped the caller. Rules carry a stable `rule` name, not a
 * scope the caller already holds; a rotated-out secret says ROTATED, not EXPIRED.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const VIEWER = ViewerKindDocument;

it('a rotated-out secret of a key with no expiry answers ROTATED; the new secret works', async () => {
  const key = await t.createKey({ stats: ['read'] }, { name: 'to rotate' });
  const rotated = expectOk(await t.gql(`mutation { rotateApiKey(id: "${key.id}") { secret } }`)).rotateApiKey;
  expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), 'ROTATED');
  expect(expectOk(await t.gql(VIEWER, {}, { key: rotated.secret }))).toEqual({ viewer: { kind: 'API_KEY' } });
});

it('a key past its expiry answers EXPIRED, also for a secret rotated out before it expired', async () => {
  const key = await t.createKey({ stats: ['read'] }, { name: 'to expire', expiresInDays: 1 });
  const rotated = expectOk(await t.gql(`mutation { rotateApiKey(id: "${key.id}") { secret } }`)).rotateApiKey;
  await t.sql("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [key.id]);
  expectUnauthenticated(await t.gql(VIEWER, {}, { key: rotated.secret }), 'EXPIRED');
  expectUnauthenticated(await t.gql(VIEWER, {}, { key: key.secret }), 'EXPIRED');
});

it('rotating another person’s USER key: rule USER_KEY_OWNER_ONLY, no scope named', async () => {
  const alice = await t.addMember('alice@acme.test', Role.ADMIN);
  const bob = await t.addMember('bob@acme.test', Role.ADMIN);
  const aliceKey = await t.createKey(maskFromScopes(['stats:read']), { name: 'alice', type: ApiKeyType.USER, by: alice });
  const res = await t.gql(`mutation { rotateApiKey(id: "${aliceKey.id}") { secret } }`, {}, { token: bob.token });
  expectRuleRefusal(res, 'USER_KEY_OWNER_ONLY');
  expect(res.body.errors![0].message).toBe('Only the owner of a USER key can rotate it.');
});

it('a key creating a USER key: rule USER_KEY_NEEDS_SESSION', async () => {
  const res = await t.gql('mutation { createApiKey(input: { name: "u", type: USER, permissions: {} }) { secret } }');
  expectRuleRefusal(res, 'USER_KEY_NEEDS_SESSION');
});

it('an ADMIN making someone an OWNER: rule OWNER_ONLY', async () => {
  const admin = await t.addMember('admin2@acme.test', Role.ADMIN);
  const target = await t.addMember('target@acme.test', Role.VIEWER);
  expectRuleRefusal(
    await t.gql(`mutation { updateMemberRole(userId: "${target.userId}", role: OWNER) { __typename } }`, {}, { token: admin.token }),
    'OWNER_ONLY',
  );
});

it('granting what one does not hold: rule NO_ESCALATION with the scopes it would need', async () => {
  const key = (await t.createKey(ALL_PERMISSIONS & ~maskFromScopes(['webhooks:delete', 'files:update']), { name: 'almost all' })).secret;
  const res = await t.gql(
    'mutation { createApiKey(input: { name: "x", permissions: { files: [update], webhooks: [delete] } }) { secret } }',
    {},
    { key },
  );
  expectRuleRefusal(res, 'NO_ESCALATION', ['files:update', 'webhooks:delete']);
});
