import { Role } from '../../src/kernel/access';
import {
  ApiKeyDocument,
  ApiKeysDocument,
  ApiKeyTotalDocument,
  ApiKeyUsageDocument,
  CreateApiKeyDocument,
  CreateApiKeyGrantDocument,
  CreateApiKeySecretDocument,
  DeleteApiKeyDocument,
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  RotateApiKeySecretDocument,
  RevokeApiKeyBareDocument,
  SetApiKeyStatusBareDocument,
  SetApiKeyStatusDocument,
  UpdateApiKeyBareDocument,
  UpdateApiKeyDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal, expectUnauthenticated } from '../support/expect';
import { TestApp } from '../support/harness';

const KEY_SHAPE = /^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/;
const NIL = '00000000-0000-4000-8000-000000000000';

let t: TestApp;
let other: Awaited<ReturnType<TestApp['createOtherOrganization']>>;
beforeAll(async () => {
  t = await TestApp.create();
  other = await t.createOtherOrganization('Elsewhere');
});
afterAll(() => t.close());

const create = (input: Record<string, unknown>, key = t.rootKey) => t.gql(CreateApiKeyDocument, { input } as never, { key });

describe('createApiKey', () => {
  it('returns the secret once, stores only its SHA-256, and shows prefix/last4/masked', async () => {
    const res = expectOk(await create({ name: '  CI deploys  ', permissions: { stats: ['read'], shortLinks: ['create', 'read'] }, expiresInDays: 30 }));
    const { secret, apiKey } = res.createApiKey;
    expect(secret).toMatch(KEY_SHAPE);
    expect(apiKey).toMatchObject({
      name: 'CI deploys',
      type: 'BOT',
      status: 'ACTIVE',
      prefix: secret.slice(0, 12),
      last4: secret.slice(-4),
      maskedKey: `${secret.slice(0, 12)}…${secret.slice(-4)}`,
      owner: null,
      revokedAt: null,
      requestCount: 0,
      lastUsedAt: null,
    });
    expect(apiKey.permissions.scopes).toEqual(['shortLinks:create', 'shortLinks:read', 'stats:read']);
    expect(new Date(apiKey.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 29.9 * 86_400_000);
    expect(apiKey.createdBy).toMatchObject({ kind: 'API_KEY', name: expect.stringContaining('bootstrap') });

    const rows = await t.dataSource.query('SELECT secret_hash FROM api_key_secrets WHERE api_key_id = $1', [apiKey.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const everywhere = JSON.stringify(await t.dataSource.query('SELECT k.*, s.* FROM api_keys k JOIN api_key_secrets s ON s.api_key_id = k.id'));
    expect(everywhere).not.toContain(secret);
    const audit = JSON.stringify(await t.dataSource.query('SELECT * FROM audit_events'));
    expect(audit).not.toContain(secret.slice(12, 60));
    // The new key works at once with exactly its grant.
    expect(expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret })).viewer.permissions.scopes).toEqual(apiKey.permissions.scopes);
  });

  it('accepts expiresAt in the future, or no expiry', async () => {
    const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
    expect(expectOk(await create({ name: 'dated', permissions: { stats: ['read'] }, expiresAt: at })).createApiKey.apiKey.expiresAt).toBe(at);
    expect(expectOk(await create({ name: 'forever', permissions: { stats: ['read'] } })).createApiKey.apiKey.expiresAt).toBeNull();
  });

  it.each([
    [{ name: '', permissions: {} }, 'input.name', 'name must be 1 to 100 characters.'],
    [{ name: 'x'.repeat(101), permissions: {} }, 'input.name', 'name must be 1 to 100 characters.'],
    [{ name: 'bad\u0007', permissions: {} }, 'input.name', 'name must not contain control characters.'],
    [{ name: 'k', permissions: {}, expiresInDays: 0 }, 'input.expiresInDays', 'expiresInDays must be between 1 and 365.'],
    [{ name: 'k', permissions: {}, expiresInDays: 366 }, 'input.expiresInDays', 'expiresInDays must be between 1 and 365.'],
    [{ name: 'k', permissions: {}, expiresAt: '2001-01-01T00:00:00Z' }, 'input.expiresAt', 'expiresAt must be in the future.'],
    [{ name: 'k', permissions: {}, expiresInDays: 5, expiresAt: '2099-01-01T00:00:00Z' }, 'input.expiresAt', 'Give expiresInDays or expiresAt, not both.'],
  ])('BAD_USER_INPUT for %o', async (input, field, message) => {
    const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM api_keys'))[0].n;
    expect(expectError(await create(input), 'BAD_USER_INPUT', 400).fields).toEqual({ [field]: message });
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM api_keys'))[0].n).toBe(before);
  });

  it('unknown resources or actions never reach the service (GraphQL validation)', async () => {
    const res = await create({ name: 'k', permissions: { nukes: ['read'] } });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('needs apiKeys:create', async () => {
    const key = await t.createKey({ apiKeys: ['read', 'update', 'delete'], members: ['read'] });
    expectForbidden(await create({ name: 'k', permissions: {} }, key.secret), 'apiKeys:create');
    expectForbidden(await t.gql(CreateApiKeySecretDocument, { input: { name: 'k', permissions: {} } }, { key: key.secret }), 'apiKeys:create');
  });

  it('nobody grants what they do not hold: FORBIDDEN (NO_ESCALATION) naming every missing scope, nothing created', async () => {
    const limited = await t.createKey({ apiKeys: ['create', 'read'], stats: ['read'] });
    const createGrant = (input: Record<string, unknown>) => t.gql(CreateApiKeyGrantDocument, { input } as never, { key: limited.secret });
    const res = await createGrant({ name: 'escalate', permissions: { stats: ['read'], webhooks: ['delete'], members: ['create'] } });
    expectRuleRefusal(res, 'NO_ESCALATION', ['webhooks:delete', 'members:create']);
    expect(res.body.errors![0].message).toBe('You cannot grant webhooks:delete, members:create: you do not hold them.');
    expect((await t.dataSource.query("SELECT count(*)::int AS n FROM api_keys WHERE name = 'escalate'"))[0].n).toBe(0);
    expectOk(await createGrant({ name: 'subset', permissions: { stats: ['read'] } }));
  });

  it('USER keys: only a signed-in user makes one, it is theirs, at most one live per organization', async () => {
    expectRuleRefusal(await create({ name: 'u', type: 'USER', permissions: { stats: ['read'] } }), 'USER_KEY_NEEDS_SESSION');
    const admin = await t.addMember('keyholder@acme.test', Role.ADMIN);
    const mine = expectOk(await t.gql(CreateApiKeyDocument, { input: { name: 'mine', type: 'USER', permissions: { stats: ['read'] } } }, { token: admin.token }));
    expect(mine.createApiKey.apiKey.owner).toEqual({ id: admin.userId, email: 'keyholder@acme.test' });
    const second = await t.gql(CreateApiKeyDocument, { input: { name: 'second', type: 'USER', permissions: { stats: ['read'] } } }, { token: admin.token });
    expectError(second, 'CONFLICT', 200);
    expect(second.body.errors![0].message).toBe('You already have a live USER key in this organization; revoke or delete it first.');
    // Once revoked, a new one may be made.
    await t.app.services.apiKeys.revoke(t.owner.caller, mine.createApiKey.apiKey.id, null);
    expectOk(await t.gql(CreateApiKeyDocument, { input: { name: 'again', type: 'USER', permissions: { stats: ['read'] } } }, { token: admin.token }));
  });
});

describe('apiKeys and apiKey(id)', () => {
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (let i = 0; i < 5; i++) ids.push((await t.createKey({ stats: ['read'] }, { name: `listed ${i}`, expiresInDays: i === 0 ? 3 : undefined })).id);
    await t.app.services.apiKeys.setStatus(t.owner.caller, ids[1], 'INACTIVE' as never);
    await t.app.services.apiKeys.revoke(t.owner.caller, ids[2], 'test');
    await t.app.services.apiKeys.delete(t.owner.caller, ids[3]);
  });

  it('newest first, stable cursors even when keys are added between pages', async () => {
    const p1 = expectOk(await t.gql(ApiKeysDocument, { first: 2, filter: { search: 'listed' } })).apiKeys;
    expect(p1.nodes.map((n) => n.name)).toEqual(['listed 4', 'listed 2']);
    expect(p1.totalCount).toBe(4);
    expect(p1.edges.map((e) => e.node.id)).toEqual(p1.nodes.map((n) => n.id));
    await t.createKey({ stats: ['read'] }, { name: 'listed late' });
    const p2 = expectOk(await t.gql(ApiKeysDocument, { first: 2, after: p1.pageInfo.endCursor, filter: { search: 'listed' } })).apiKeys;
    expect(p2.nodes.map((n) => n.name)).toEqual(['listed 1', 'listed 0']);
    expect(p2.pageInfo.hasNextPage).toBe(false);
  });

  it('filters by status, type, owner and expiry window', async () => {
    const names = async (filter: Record<string, unknown>) =>
      expectOk(await t.gql(ApiKeysDocument, { first: 100, filter: { search: 'listed', ...filter } } as never)).apiKeys.nodes.map((n) => n.name);
    expect(await names({ status: 'REVOKED' })).toEqual(['listed 2']);
    expect(await names({ status: 'INACTIVE' })).toEqual(['listed 1']);
    expect(await names({ status: 'ACTIVE' })).toEqual(['listed late', 'listed 4', 'listed 0']);
    expect(await names({ expiringWithinDays: 7 })).toEqual(['listed 0']);
    expect(await names({ type: 'USER' })).toEqual([]);
    expect(await names({ ownerId: 'not-a-uuid' })).toEqual([]);
  });

  it('a deleted key is gone from lists and lookups', async () => {
    expect(expectOk(await t.gql(ApiKeyDocument, { id: ids[3] })).apiKey).toBeNull();
  });

  it('bad input: first out of range, a forged cursor, a bad expiry window', async () => {
    expect(expectError(await t.gql(ApiKeysDocument, { first: 101 }), 'BAD_USER_INPUT', 400).fields).toEqual({ first: 'first must be between 1 and 100.' });
    expect(expectError(await t.gql(ApiKeysDocument, { first: 0 }), 'BAD_USER_INPUT', 400).fields).toEqual({ first: 'first must be between 1 and 100.' });
    expect(expectError(await t.gql(ApiKeysDocument, { after: 'forged' }), 'BAD_USER_INPUT', 400).fields).toEqual({ after: 'Invalid cursor: pass an endCursor from a previous page.' });
    expect(expectError(await t.gql(ApiKeysDocument, { filter: { expiringWithinDays: 0 } }), 'BAD_USER_INPUT', 400).fields).toEqual({ 'filter.expiringWithinDays': 'expiringWithinDays must be between 1 and 365.' });
  });

  it('another organization sees none of these keys: null for apiKey(id), absent from lists', async () => {
    expect(expectOk(await t.gql(ApiKeyDocument, { id: ids[0] }, { key: other.rootKey })).apiKey).toBeNull();
    expect(expectOk(await t.gql(ApiKeysDocument, { first: 100, filter: { search: 'listed' } }, { key: other.rootKey })).apiKeys.totalCount).toBe(0);
  });

  it('needs apiKeys:read', async () => {
    const key = await t.createKey({ apiKeys: ['create'] });
    expectForbidden(await t.gql(ApiKeysDocument, {}, { key: key.secret }), 'apiKeys:read');
    expectForbidden(await t.gql(ApiKeyDocument, { id: ids[0] }, { key: key.secret }), 'apiKeys:read');
  });

  it('usage(days) is zero-filled, oldest first; requestCount and lastUsedAt follow the flush', async () => {
    const key = await t.createKey({ stats: ['read'] });
    for (let i = 0; i < 4; i++) await t.gql(ViewerPrincipalDocument, {}, { key: key.secret });
    await t.app.services.usage.flush();
    const usage = expectOk(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 3 })).apiKey!;
    expect(usage.requestCount).toBe(4);
    expect(usage.lastUsedAt).not.toBeNull();
    const today = new Date().toISOString().slice(0, 10);
    expect(usage.usage).toHaveLength(3);
    expect(usage.usage[2]).toEqual({ day: today, requests: 4 });
    expect(usage.usage[0].requests + usage.usage[1].requests).toBe(0);
    expectError(await t.gql(ApiKeyUsageDocument, { id: key.id, days: 0 }), 'BAD_USER_INPUT');
  });
});

describe('rotateApiKey', () => {
  it('immediately: the old secret is refused on the very next request (ROTATED), the new one works', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const rotated = expectOk(await t.gql(RotateApiKeyDocument, { id: key.id })).rotateApiKey;
    expect(rotated.secret).toMatch(KEY_SHAPE);
    expect(rotated.secret).not.toBe(key.secret);
    expect(rotated.apiKey).toMatchObject({ id: key.id, prefix: rotated.secret.slice(0, 12), last4: rotated.secret.slice(-4) });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: rotated.secret }));
  });

  it('with a grace period both secrets work until it ends, then only the new one', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const rotated = expectOk(await t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: 3600 })).rotateApiKey;
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: rotated.secret }));
    const [secret] = await t.dataSource.query('SELECT ends_at FROM api_key_secrets WHERE api_key_id = $1 AND ends_at IS NOT NULL', [key.id]);
    expect(Math.abs(new Date(secret.ends_at).getTime() - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    await t.sql("UPDATE api_key_secrets SET ends_at = now() - interval '1 millisecond' WHERE api_key_id = $1 AND ends_at IS NOT NULL", [key.id]);
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: rotated.secret }));
  });

  it('bad input and conflicts: grace period out of range, a revoked key, another organization’s key', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect(expectError(await t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: 604_801 }), 'BAD_USER_INPUT', 400).fields).toEqual({
      gracePeriodSeconds: 'gracePeriodSeconds must be between 0 and 604800 (7 days).',
    });
    expectError(await t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: -1 }), 'BAD_USER_INPUT', 400);
    expectError(await t.gql(RotateApiKeyDocument, { id: key.id }, { key: other.rootKey }), 'NOT_FOUND', 200);
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret })); // untouched by the refused rotation
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, null);
    expectError(await t.gql(RotateApiKeyDocument, { id: key.id }), 'CONFLICT', 200);
    expectError(await t.gql(RotateApiKeyDocument, { id: NIL }), 'NOT_FOUND', 200);
  });

  it('security: needs apiKeys:update; cannot rotate a key holding more than you; only the owner rotates a USER key', async () => {
    const powerful = await t.createKey({ stats: ['read'], members: ['delete'] });
    const updater = await t.createKey({ apiKeys: ['update'], stats: ['read'] });
    const refused = await t.gql(RotateApiKeySecretDocument, { id: powerful.id }, { key: updater.secret });
    expectRuleRefusal(refused, 'NO_ESCALATION', ['members:delete']);
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: powerful.secret }));
    const noUpdate = await t.createKey({ apiKeys: ['read'], members: ['read'] });
    expectForbidden(await t.gql(RotateApiKeyDocument, { id: powerful.id }, { key: noUpdate.secret }), 'apiKeys:update');

    const member = await t.addMember('rotator@acme.test', Role.ADMIN);
    const userKey = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: member });
    const byOwnerOfOrg = await t.gql(RotateApiKeyDocument, { id: userKey.id }, { token: t.owner.token });
    expectRuleRefusal(byOwnerOfOrg, 'USER_KEY_OWNER_ONLY');
    expect(byOwnerOfOrg.body.errors![0].message).toBe('Only the owner of a USER key can rotate it.');
    expectOk(await t.gql(RotateApiKeyDocument, { id: userKey.id }, { token: member.token }));
  });
});

describe('updateApiKey', () => {
  it('renames and replaces permissions; the change applies to the next request; the audit event has the diff', async () => {
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] }, { name: 'before' });
    const updated = expectOk(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'after', permissions: { stats: ['read'], shortLinks: ['read'] } } })).updateApiKey;
    expect(updated.name).toBe('after');
    expect(updated.permissions.scopes).toEqual(['shortLinks:read', 'stats:read']);
    expectForbidden(await t.gql(ApiKeysDocument, {}, { key: key.secret }), 'apiKeys:read');
    const [event] = await t.dataSource.query("SELECT metadata FROM audit_events WHERE action = 'API_KEY_UPDATED' AND target_id = $1", [key.id]);
    expect(event.metadata).toEqual({ name: { from: 'before', to: 'after' }, permissions: { added: ['shortLinks:read'], removed: ['apiKeys:read'] } });
  });

  it('bad input: nothing to change, a bad name; NOT_FOUND for another organization; CONFLICT when revoked', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect(expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: {} }), 'BAD_USER_INPUT', 400).fields).toEqual({ input: 'Give a name or permissions to change.' });
    expect(expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: ' ' } }), 'BAD_USER_INPUT', 400).fields).toEqual({ 'input.name': 'name must be 1 to 100 characters.' });
    expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'stolen' } }, { key: other.rootKey }), 'NOT_FOUND', 200);
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, null);
    expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'x' } }), 'CONFLICT', 200);
  });

  it('escalation: a key cannot widen itself or another key beyond what it holds', async () => {
    const self = await t.createKey({ apiKeys: ['update', 'read'], stats: ['read'] });
    const res = await t.gql(UpdateApiKeyBareDocument, { id: self.id, input: { permissions: { apiKeys: ['update', 'read', 'create'], stats: ['read'] } } }, { key: self.secret });
    expectRuleRefusal(res, 'NO_ESCALATION', ['apiKeys:create']);
    const [row] = await t.dataSource.query('SELECT permissions FROM api_keys WHERE id = $1', [self.id]);
    expect(row.permissions).toEqual({ stats: ['read'], apiKeys: ['read', 'update'] });
  });

  it('a USER key’s effective permissions are its grant ∩ its owner’s current role', async () => {
    const admin = await t.addMember('demotee@acme.test', Role.ADMIN);
    const key = await t.createKey({ apiKeys: ['read'], stats: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    await t.sql("UPDATE memberships SET role = 'VIEWER' WHERE user_id = $1", [admin.userId]);
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    const seen = expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey!;
    expect(seen.permissions.scopes).toEqual(['stats:read', 'apiKeys:read']);
    expect(seen.effectivePermissions.scopes).toEqual(['stats:read']);
  });
});

describe('setApiKeyStatus, revokeApiKey, deleteApiKey', () => {
  it('INACTIVE refuses at once and ACTIVE restores; no-op toggles write no audit event', async () => {
    const key = await t.createKey({ stats: ['read'] });
    expect(expectOk(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' })).setApiKeyStatus.status).toBe('INACTIVE');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'INACTIVE');
    expectOk(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }));
    expect(expectOk(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'ACTIVE' })).setApiKeyStatus.status).toBe('ACTIVE');
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
    const actions = await t.dataSource.query('SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at', [key.id]);
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['API_KEY_CREATED', 'API_KEY_DISABLED', 'API_KEY_ENABLED']);
  });

  it('revocation is permanent, records who and why, and cannot be undone (CONFLICT)', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const revoked = expectOk(await t.gql(RevokeApiKeyDocument, { id: key.id, reason: 'leaked in a log' })).revokeApiKey;
    expect(revoked).toMatchObject({ status: 'REVOKED', revokedReason: 'leaked in a log', revokedBy: { kind: 'API_KEY', name: expect.stringContaining('bootstrap') } });
    expect(revoked.revokedAt).not.toBeNull();
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
    const reenable = await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'ACTIVE' });
    expectError(reenable, 'CONFLICT', 200);
    expect(reenable.body.errors![0].message).toBe('A revoked key cannot be re-enabled or disabled; revocation is permanent.');
    // Revoking again is harmless and keeps the first record.
    expect(expectOk(await t.gql(RevokeApiKeyDocument, { id: key.id, reason: 'again' })).revokeApiKey.revokedReason).toBe('leaked in a log');
    expect(expectError(await t.gql(RevokeApiKeyDocument, { id: key.id, reason: 'r'.repeat(501) }), 'BAD_USER_INPUT', 400).fields).toEqual({ reason: 'reason is at most 500 characters.' });
  });

  it('delete: gone from lists, refused as REVOKED, and the audit log keeps name and prefix', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'to delete' });
    const [{ prefix }] = await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [key.id]);
    expect(expectOk(await t.gql(DeleteApiKeyDocument, { id: key.id })).deleteApiKey).toBe(key.id);
    expect(expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey).toBeNull();
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
    const [event] = await t.dataSource.query("SELECT target_name, metadata FROM audit_events WHERE action = 'API_KEY_DELETED' AND target_id = $1", [key.id]);
    expect(event).toEqual({ target_name: 'to delete', metadata: { prefix, type: 'BOT' } });
    expectError(await t.gql(DeleteApiKeyDocument, { id: key.id }), 'NOT_FOUND', 200);
  });

  it('another organization’s key id behaves exactly like a nonexistent one, for every mutation', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const as = { key: other.rootKey };
    for (const [doc, vars] of [
      [SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }],
      [RevokeApiKeyDocument, { id: key.id }],
      [DeleteApiKeyDocument, { id: key.id }],
      [SetApiKeyStatusDocument, { id: NIL, status: 'INACTIVE' }],
      [DeleteApiKeyDocument, { id: 'garbage' }],
    ] as const) {
      const res = await t.gql(doc as never, vars as never, as);
      expect(res.body.errors![0]).toMatchObject({ message: 'API key not found.', extensions: { code: 'NOT_FOUND' } });
    }
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
  });

  it('scopes: status needs apiKeys:update; revoke and delete need apiKeys:delete', async () => {
    const key = await t.createKey({ stats: ['read'] });
    const reader = await t.createKey({ apiKeys: ['read', 'create'] });
    expectForbidden(await t.gql(SetApiKeyStatusBareDocument, { id: key.id, status: 'INACTIVE' }, { key: reader.secret }), 'apiKeys:update');
    expectForbidden(await t.gql(RevokeApiKeyBareDocument, { id: key.id }, { key: reader.secret }), 'apiKeys:delete');
    expectForbidden(await t.gql(DeleteApiKeyDocument, { id: key.id }, { key: reader.secret }), 'apiKeys:delete');
    // The full documents also read the key's owner, which needs members:read: both are missing.
    expectForbidden(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }, { key: reader.secret }), ['apiKeys:update', 'members:read']);
    expectForbidden(await t.gql(RevokeApiKeyDocument, { id: key.id }, { key: reader.secret }), ['apiKeys:delete', 'members:read']);
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }));
  });
});
