import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyDocument,
  ApiKeyPermissionsDocument,
  ApiKeyTotalDocument,
  type ApiKeyToggle,
  SetApiKeyStatusBareDocument,
  SetApiKeyStatusDocument,
  UpdateApiKeyBareDocument,
  UpdateApiKeyDocument,
  type UpdateApiKeyInput,
  UpdateMemberRoleDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal, expectUnauthenticated } from '../support/expect';
import type { Auth, OtherOrganization, TestApp } from '../support/harness';
import { NO_ACTIONS as NONE } from '../support/access';
import { allBut, apiKeySuite, auditOf, countAudit, deletedKeyId, MISSING_ID, rootKeyId } from './helpers';

let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const update = (id: string, input: UpdateApiKeyInput, auth: Auth = { key: t.rootKey }) => t.gql(UpdateApiKeyDocument, { id, input }, auth);
/** Selects nothing of the key: needs apiKeys:update and nothing else (ApiKey itself needs apiKeys:read). */
const updateBare = (id: string, input: UpdateApiKeyInput, auth: Auth) => t.gql(UpdateApiKeyBareDocument, { id, input }, auth);
const setStatus = (id: string, status: ApiKeyToggle, auth: Auth = { key: t.rootKey }) =>
  t.gql(SetApiKeyStatusDocument, { id, status }, auth);
const lookup = async (id: string) => expectOk(await t.gql(ApiKeyDocument, { id })).apiKey!;
const scopesOfSecret = async (secret: string) =>
  expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret })).viewer.permissions.scopes;

describe('updateApiKey: happy path', () => {
  it('renames (trimmed); nothing else changes; the audit event has the name change', async () => {
    const root = await rootKeyId(t);
    const key = await t.createKey({ stats: ['read'] }, { name: 'old name' });
    const before = await lookup(key.id);
    const updated = expectOk(await update(key.id, { name: '  new name  ' })).updateApiKey;
    expect(updated).toEqual({ ...before, name: 'new name' });
    expect(await lookup(key.id)).toEqual(updated);
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);
    const events = await auditOf(t, key.id, 'API_KEY_UPDATED');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      targetType: 'API_KEY',
      targetName: 'new name',
      actor: { kind: 'API_KEY', id: root.id },
      metadata: { name: { from: 'old name', to: 'new name' } },
    });
  });

  it('replaces the whole grant; the very next request uses it; the audit event has the permission diff', async () => {
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'], domains: ['read', 'update'] }, { name: 'regranted' });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    const updated = expectOk(
      await update(key.id, { permissions: { stats: ['read'], shortLinks: ['read', 'create'], domains: ['read'] } }),
    ).updateApiKey;
    expect(updated.name).toBe('regranted');
    expect(updated.permissions.scopes).toEqual(['shortLinks:create', 'shortLinks:read', 'domains:read', 'stats:read']);
    expect(updated.effectivePermissions.scopes).toEqual(updated.permissions.scopes);

    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    expect(await scopesOfSecret(key.secret)).toEqual(updated.permissions.scopes);

    const [event] = await auditOf(t, key.id, 'API_KEY_UPDATED');
    expect(event.metadata).toEqual({
      permissions: { added: ['shortLinks:create', 'shortLinks:read'], removed: ['domains:update', 'apiKeys:read'] },
    });
  });

  it('name and permissions together: both in one audit event', async () => {
    const key = await t.createKey({ files: ['read'] }, { name: 'both before' });
    expectOk(await update(key.id, { name: 'both after', permissions: { files: ['read', 'update'] } }));
    const events = await auditOf(t, key.id, 'API_KEY_UPDATED');
    expect(events).toHaveLength(1);
    expect(events[0].targetName).toBe('both after');
    expect(events[0].metadata).toEqual({
      name: { from: 'both before', to: 'both after' },
      permissions: { added: ['files:update'], removed: [] },
    });
  });

  it('a change to nothing (same name, same grant in another order) writes no audit event', async () => {
    const key = await t.createKey({ files: ['read', 'create'] }, { name: 'steady' });
    const before = await lookup(key.id);
    const res = expectOk(await update(key.id, { name: 'steady', permissions: { files: ['create', 'read'] } })).updateApiKey;
    expect(res).toEqual(before);
    expect(await auditOf(t, key.id, 'API_KEY_UPDATED')).toEqual([]);
  });

  it('an empty grant removes every permission: the key still authenticates but may do nothing guarded', async () => {
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] }, { name: 'emptied' });
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read', 'apiKeys:read']);
    expect(expectOk(await update(key.id, { permissions: {} })).updateApiKey.permissions.scopes).toEqual([]);
    expect(await scopesOfSecret(key.secret)).toEqual([]);
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
  });

  it('a signed-in admin is the audit actor', async () => {
    const admin = await t.addMember('updater@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { name: 'by admin' });
    expectOk(await update(key.id, { name: 'by admin, renamed' }, { token: admin.token }));
    const [event] = await auditOf(t, key.id, 'API_KEY_UPDATED');
    expect(event.actor).toEqual({ kind: 'USER', id: admin.userId, name: 'updater@acme.test' });
  });
});

describe('updateApiKey: bad input and states', () => {
  it.each([
    ['an empty input', {}, { input: 'Give a name or permissions to change.' }],
    ['explicit nulls', { name: null, permissions: null }, { input: 'Give a name or permissions to change.' }],
    ['an empty name', { name: '' }, { 'input.name': 'name must be 1 to 100 characters.' }],
    ['a blank name', { name: '   ' }, { 'input.name': 'name must be 1 to 100 characters.' }],
    ['a 101-character name', { name: 'y'.repeat(101) }, { 'input.name': 'name must be 1 to 100 characters.' }],
    ['a control character in the name', { name: 'tab\there' }, { 'input.name': 'name must not contain control characters.' }],
    [
      'a bad name with a valid grant',
      { name: '', permissions: { stats: ['read'] } },
      { 'input.name': 'name must be 1 to 100 characters.' },
    ],
  ] as [string, UpdateApiKeyInput, Record<string, string>][])(
    '%s is BAD_USER_INPUT (400) with the field; nothing changes',
    async (_case, input, fields) => {
      const key = await t.createKey({ apiKeys: ['read'] }, { name: 'unchanged' });
      const before = await lookup(key.id);
      const res = await update(key.id, input);
      expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual(fields);
      expect(res.body.data).toBeNull();
      expect(await lookup(key.id)).toEqual(before);
      expect(await auditOf(t, key.id, 'API_KEY_UPDATED')).toEqual([]);
    },
  );

  it('an unknown action is refused by GraphQL validation (400 BAD_USER_INPUT)', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'bad action' });
    expectError(await update(key.id, { permissions: { stats: ['obliterate' as never] } }), 'BAD_USER_INPUT', 400);
    expect((await lookup(key.id)).permissions.scopes).toEqual(['stats:read']);
  });

  it('a revoked key cannot be changed: CONFLICT (200)', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked, not renamed' });
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, null);
    const res = await update(key.id, { name: 'renamed' });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('A revoked key cannot be changed.');
    expect((await lookup(key.id)).name).toBe('revoked, not renamed');
  });

  it.each([
    ['a nonexistent id', async () => MISSING_ID],
    ['a malformed id', async () => 'nope'],
    ['a deleted key', () => deletedKeyId(t, 'deleted')],
  ])('%s is NOT_FOUND (200)', async (_case, id) => {
    const res = await update(await id(), { name: 'whatever' });
    expectError(res, 'NOT_FOUND', 200);
    expect(res.body.errors![0].message).toBe('API key not found.');
  });
});

describe('updateApiKey: security', () => {
  it('needs apiKeys:update: a key holding everything else is FORBIDDEN; nothing changes', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'update target' });
    const caller = await t.createKey(allBut('apiKeys', 'update'), { name: 'all but update' });
    expectForbidden(await update(target.id, { name: 'hijacked' }, { key: caller.secret }), 'apiKeys:update');
    expect((await lookup(target.id)).name).toBe('update target');
  });

  it('another organization’s key id behaves exactly like a nonexistent id: NOT_FOUND; the key is untouched', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'cross-org update target' });
    const events = await countAudit(t);
    const foreign = await update(target.id, { name: 'stolen', permissions: {} }, { key: other.rootKey });
    const missing = await update(MISSING_ID, { name: 'stolen', permissions: {} }, { key: other.rootKey });
    expectError(foreign, 'NOT_FOUND', 200);
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body).toEqual(missing.body);
    expect(await lookup(target.id)).toMatchObject({ name: 'cross-org update target', permissions: { scopes: ['stats:read'] } });
    expect(await scopesOfSecret(target.secret)).toEqual(['stats:read']);
    expect(await countAudit(t)).toBe(events);
  });

  it('no escalation: a key with apiKeys:update but not webhooks:delete cannot grant webhooks:delete to another key', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'escalation target' });
    const editor = await t.createKey({ apiKeys: ['update'], stats: ['read'], webhooks: ['read'] }, { name: 'limited editor' });
    const res = await updateBare(target.id, { permissions: { stats: ['read'], webhooks: ['read', 'delete'] } }, { key: editor.secret });
    expectRuleRefusal(res, 'NO_ESCALATION', ['webhooks:delete']);
    expect(res.body.errors![0].message).toBe('You cannot grant webhooks:delete: you do not hold it.');
    expect((await lookup(target.id)).permissions.scopes).toEqual(['stats:read']);
    expect(await auditOf(t, target.id, 'API_KEY_UPDATED')).toEqual([]);
    // Within its own permissions it may edit.
    expectOk(await updateBare(target.id, { permissions: { webhooks: ['read'] } }, { key: editor.secret }));
    expect((await lookup(target.id)).permissions.scopes).toEqual(['webhooks:read']);
  });

  it('no escalation: a key cannot widen itself, but may narrow itself', async () => {
    const self = await t.createKey({ apiKeys: ['read', 'update'], stats: ['read'] }, { name: 'self editor' });
    expectRuleRefusal(
      await updateBare(self.id, { permissions: { apiKeys: ['read', 'update', 'create'], stats: ['read'] } }, { key: self.secret }),
      'NO_ESCALATION',
      ['apiKeys:create'],
    );
    expect(await scopesOfSecret(self.secret)).toEqual(['stats:read', 'apiKeys:read', 'apiKeys:update']);
    const [row] = await t.dataSource.query('SELECT permissions FROM api_keys WHERE id = $1', [self.id]);
    expect(row.permissions).toEqual({ stats: ['read'], apiKeys: ['read', 'update'] }); // stored as granted, untouched
    expectOk(await updateBare(self.id, { permissions: { apiKeys: ['update'] } }, { key: self.secret }));
    expect(await scopesOfSecret(self.secret)).toEqual(['apiKeys:update']);
  });

  it('no escalation: re-granting a scope the target already has but the editor lacks is FORBIDDEN', async () => {
    const target = await t.createKey({ members: ['delete'], stats: ['read'] }, { name: 'holds members:delete' });
    const editor = await t.createKey({ apiKeys: ['update'], stats: ['read'] }, { name: 'editor without members' });
    expectRuleRefusal(
      await updateBare(target.id, { permissions: { members: ['delete'], stats: ['read'] } }, { key: editor.secret }),
      'NO_ESCALATION',
      ['members:delete'],
    );
    expect((await lookup(target.id)).permissions.scopes).toEqual(['stats:read', 'members:delete']);
  });

  it.each([Role.MEMBER, Role.VIEWER])('a signed-in %s cannot update keys', async (role) => {
    const member = await t.addMember(`updater-${role.toLowerCase()}@acme.test`, role);
    const target = await t.createKey({ stats: ['read'] }, { name: `target for ${role}` });
    expectForbidden(await updateBare(target.id, { name: 'x' }, { token: member.token }), 'apiKeys:update');
    // The full document also reads the key and its owner: every missing scope is named, nothing runs.
    const full = await update(target.id, { name: 'x' }, { token: member.token });
    expectForbidden(full, ['apiKeys:read', 'apiKeys:update', 'members:read']);
    expect(full.body).not.toHaveProperty('data');
    expect((await lookup(target.id)).name).toBe(`target for ${role}`);
  });
});

describe('effectivePermissions: a USER key’s grant ∩ its owner’s current role', () => {
  const grant = { shortLinks: ['create' as const, 'read' as const], apiKeys: ['read' as const], stats: ['read' as const] };
  const setRole = (userId: string, role: string) =>
    t.sql('UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2', [t.org.id, userId, role]);
  const perms = async (id: string) => expectOk(await t.gql(ApiKeyPermissionsDocument, { id })).apiKey!;

  it('follows demotion and promotion at once, in the API and in what the key may do', async () => {
    const admin = await t.addMember('demotee@acme.test', Role.ADMIN);
    const key = await t.createKey(grant, { type: ApiKeyType.USER, by: admin, name: 'demotee key' });
    const granted = {
      ...NONE,
      shortLinks: ['create', 'read'],
      apiKeys: ['read'],
      stats: ['read'],
      scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read', 'apiKeys:read'],
    };

    // As ADMIN the grant is fully effective.
    expect(await perms(key.id)).toMatchObject({
      type: 'USER',
      owner: { id: admin.userId },
      permissions: granted,
      effectivePermissions: granted,
    });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));

    // Demoted to VIEWER: only the reads of product resources remain; apiKeys is refused on the very next request.
    await setRole(admin.userId, 'VIEWER');
    const asViewer = await perms(key.id);
    expect(asViewer.permissions).toEqual(granted);
    expect(asViewer.effectivePermissions).toEqual({
      ...NONE,
      shortLinks: ['read'],
      stats: ['read'],
      scopes: ['shortLinks:read', 'stats:read'],
    });
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    expectForbidden(await t.gql(ApiKeyDocument, { id: key.id }, { key: key.secret }), 'apiKeys:read');
    expect(await scopesOfSecret(key.secret)).toEqual(['shortLinks:read', 'stats:read']);

    // MEMBER: every product action, still nothing on apiKeys.
    await setRole(admin.userId, 'MEMBER');
    expect((await perms(key.id)).effectivePermissions.scopes).toEqual(['shortLinks:create', 'shortLinks:read', 'stats:read']);
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');

    // Promoted back: the whole grant again, at once.
    await setRole(admin.userId, 'ADMIN');
    expect((await perms(key.id)).effectivePermissions).toEqual(granted);
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
  });

  it('demotion through updateMemberRole narrows the key on its very next request (its verification was cached)', async () => {
    const admin = await t.addMember('api-demotee@acme.test', Role.ADMIN);
    const key = await t.createKey(grant, { type: ApiKeyType.USER, by: admin, name: 'api demotee key' });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'VIEWER' }));
    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    expect(await scopesOfSecret(key.secret)).toEqual(['shortLinks:read', 'stats:read']);
    expect((await perms(key.id)).effectivePermissions.scopes).toEqual(['shortLinks:read', 'stats:read']);
    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'ADMIN' }));
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
  });

  it('an owner who left the organization leaves the key with no effective permissions, and it is refused', async () => {
    const admin = await t.addMember('leaver@acme.test', Role.ADMIN);
    const key = await t.createKey(grant, { type: ApiKeyType.USER, by: admin, name: 'leaver key' });
    await scopesOfSecret(key.secret);
    await t.sql('DELETE FROM memberships WHERE org_id = $1 AND user_id = $2', [t.org.id, admin.userId]);
    const seen = await perms(key.id);
    expect(seen.permissions.scopes).toEqual(['shortLinks:create', 'shortLinks:read', 'stats:read', 'apiKeys:read']);
    expect(seen.effectivePermissions).toEqual({ ...NONE, scopes: [] });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'OWNER_REMOVED');
  });

  it('a grant wider than the owner’s role is stored as granted but never effective', async () => {
    const member = await t.addMember('narrow-owner@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: member, name: 'narrow owner key' });
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);
    await setRole(member.userId, 'MEMBER');
    const updated = expectOk(await update(key.id, { permissions: { stats: ['read'], members: ['read'] } })).updateApiKey;
    expect(updated.permissions.scopes).toEqual(['stats:read', 'members:read']);
    expect(updated.effectivePermissions.scopes).toEqual(['stats:read']);
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);
  });

  it('a BOT key’s effective permissions are its grant, whoever created it', async () => {
    const admin = await t.addMember('bot-maker@acme.test', Role.ADMIN);
    const key = await t.createKey({ members: ['read'], stats: ['read'] }, { by: admin, name: 'bot by admin' });
    await setRole(admin.userId, 'VIEWER');
    const seen = await perms(key.id);
    expect(seen.owner).toBeNull();
    expect(seen.effectivePermissions).toEqual(seen.permissions);
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read', 'members:read']);
  });
});

describe('setApiKeyStatus', () => {
  it('INACTIVE refuses the key (401 INACTIVE) on the very next request; ACTIVE restores it; both are audited', async () => {
    const root = await rootKeyId(t);
    const key = await t.createKey({ stats: ['read'] }, { name: 'toggled' });
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']); // verified (and cached) first
    const off = expectOk(await setStatus(key.id, 'INACTIVE')).setApiKeyStatus;
    expect(off).toMatchObject({ id: key.id, status: 'INACTIVE', revokedAt: null });
    expect((await lookup(key.id)).status).toBe('INACTIVE');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'INACTIVE');

    expect(expectOk(await setStatus(key.id, 'ACTIVE')).setApiKeyStatus.status).toBe('ACTIVE');
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);

    const events = await auditOf(t, key.id);
    expect(events.map((e) => e.action).sort()).toEqual(['API_KEY_CREATED', 'API_KEY_DISABLED', 'API_KEY_ENABLED']);
    const inOrder: { action: string }[] = await t.dataSource.query(
      'SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at',
      [key.id],
    );
    expect(inOrder.map((e) => e.action)).toEqual(['API_KEY_CREATED', 'API_KEY_DISABLED', 'API_KEY_ENABLED']);
    for (const action of ['API_KEY_DISABLED', 'API_KEY_ENABLED']) {
      expect(events.find((e) => e.action === action)).toMatchObject({
        targetType: 'API_KEY',
        targetName: 'toggled',
        actor: { kind: 'API_KEY', id: root.id },
      });
    }
  });

  it('setting the status a key already has is refused (CONFLICT ALREADY_ACTIVE / ALREADY_INACTIVE) and writes no audit event', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'already active' });
    const active = await setStatus(key.id, 'ACTIVE');
    expect(expectError(active, 'CONFLICT', 200)).toEqual({ code: 'CONFLICT', rule: 'ALREADY_ACTIVE' });
    expect(active.body.errors![0].message).toBe('The key is already active.');
    expect(active.body.data).toBeNull();
    expectOk(await setStatus(key.id, 'INACTIVE'));
    const inactive = await setStatus(key.id, 'INACTIVE');
    expect(expectError(inactive, 'CONFLICT', 200)).toEqual({ code: 'CONFLICT', rule: 'ALREADY_INACTIVE' });
    expect(inactive.body.errors![0].message).toBe('The key is already inactive.');
    expect((await lookup(key.id)).status).toBe('INACTIVE');
    expect((await auditOf(t, key.id)).map((e) => e.action).sort()).toEqual(['API_KEY_CREATED', 'API_KEY_DISABLED']);
  });

  it.each(['ACTIVE', 'INACTIVE'] as const)('a REVOKED key cannot be set %s: CONFLICT (200), it stays revoked', async (status) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `revoked then ${status}` });
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, 'compromised');
    const res = await setStatus(key.id, status);
    expect(expectError(res, 'CONFLICT', 200)).toEqual({ code: 'CONFLICT', rule: 'KEY_REVOKED' });
    expect(res.body.errors![0].message).toBe('A revoked key cannot be re-enabled or disabled; revocation is permanent.');
    expect((await lookup(key.id)).status).toBe('REVOKED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
  });

  it('an expired key reports EXPIRED whatever its toggle', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'expired toggle', expiresInDays: 1 });
    expect(await scopesOfSecret(key.secret)).toEqual(['stats:read']);
    await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [key.id]);
    expect(expectOk(await setStatus(key.id, 'INACTIVE')).setApiKeyStatus.status).toBe('EXPIRED');
    expect(expectOk(await setStatus(key.id, 'ACTIVE')).setApiKeyStatus.status).toBe('EXPIRED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'EXPIRED');
  });

  it.each(['REVOKED', 'EXPIRED', 'DELETED'])('status %s is not a toggle: 400 BAD_USER_INPUT from GraphQL validation', async (status) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `toggle ${status}` });
    expectError(await setStatus(key.id, status as ApiKeyToggle), 'BAD_USER_INPUT', 400);
    expect((await lookup(key.id)).status).toBe('ACTIVE');
  });

  it.each([
    ['a nonexistent id', async () => MISSING_ID],
    ['a malformed id', async () => '12345'],
    ['a deleted key', () => deletedKeyId(t, 'deleted')],
  ])('%s is NOT_FOUND (200)', async (_case, id) => {
    const res = await setStatus(await id(), 'INACTIVE');
    expectError(res, 'NOT_FOUND', 200);
    expect(res.body.errors![0].message).toBe('API key not found.');
  });

  it('needs apiKeys:update: a key holding everything else is FORBIDDEN; the target stays active', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'status target' });
    const caller = await t.createKey(allBut('apiKeys', 'update'), { name: 'all but update (status)' });
    expectForbidden(await setStatus(target.id, 'INACTIVE', { key: caller.secret }), 'apiKeys:update');
    expectForbidden(
      await t.gql(SetApiKeyStatusBareDocument, { id: target.id, status: 'INACTIVE' }, { key: caller.secret }),
      'apiKeys:update',
    );
    expect((await lookup(target.id)).status).toBe('ACTIVE');
    expect(await scopesOfSecret(target.secret)).toEqual(['stats:read']);
  });

  it('a key that reads keys but may not update them or read members: the bare toggle needs apiKeys:update, the full one members:read too', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'status target 2' });
    const reader = await t.createKey({ apiKeys: ['read', 'create'] }, { name: 'key reader (status)' });
    expectForbidden(
      await t.gql(SetApiKeyStatusBareDocument, { id: target.id, status: 'INACTIVE' }, { key: reader.secret }),
      'apiKeys:update',
    );
    // SetApiKeyStatus also reads the key's owner, which needs members:read: both are missing.
    expectForbidden(await setStatus(target.id, 'INACTIVE', { key: reader.secret }), ['apiKeys:update', 'members:read']);
    expect(await scopesOfSecret(target.secret)).toEqual(['stats:read']);
  });

  it('another organization’s key id behaves exactly like a nonexistent id: NOT_FOUND; the key keeps working', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'cross-org status target' });
    const foreign = await setStatus(target.id, 'INACTIVE', { key: other.rootKey });
    const missing = await setStatus(MISSING_ID, 'INACTIVE', { key: other.rootKey });
    expectError(foreign, 'NOT_FOUND', 200);
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body).toEqual(missing.body);
    expect((await lookup(target.id)).status).toBe('ACTIVE');
    expect(await scopesOfSecret(target.secret)).toEqual(['stats:read']);
    expect(await auditOf(t, target.id, 'API_KEY_DISABLED')).toEqual([]);
  });
});
