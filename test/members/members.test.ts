import { Role } from '../../src/auth/roles';
import {
  AddMemberDocument,
  ApiKeysDocument,
  AuditLogDocument,
  MembersDocument,
  PermissionCatalogDocument,
  RemoveMemberDocument,
  UpdateMemberRoleDocument,
  ViewerDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import { TestApp } from '../support/harness';

let t: TestApp;
let other: Awaited<ReturnType<TestApp['createOtherOrganization']>>;
beforeAll(async () => {
  t = await TestApp.create();
  other = await t.createOtherOrganization('Far Away');
});
afterAll(() => t.close());

describe('members and addMember', () => {
  it('lists members with their role; addMember creates the user on first sight, lower-cased', async () => {
    const added = expectOk(await t.gql(AddMemberDocument, { email: ' New.Person@Acme.TEST ', role: 'MEMBER' })).addMember;
    expect(added).toMatchObject({ user: { email: 'new.person@acme.test' }, role: 'MEMBER' });
    const list = expectOk(await t.gql(MembersDocument)).members;
    expect(list.map((m) => [m.user.email, m.role])).toEqual([
      ['owner@acme.test', 'OWNER'],
      ['new.person@acme.test', 'MEMBER'],
    ]);
  });

  it('the same user can belong to two organizations; other organizations’ members are invisible', async () => {
    expectOk(await t.gql(AddMemberDocument, { email: 'owner@acme.test', role: 'VIEWER' }, { key: other.rootKey }));
    const theirs = expectOk(await t.gql(MembersDocument, {}, { key: other.rootKey })).members.map((m) => m.user.email);
    expect(theirs).toEqual(['owner@far-away.test', 'owner@acme.test']);
    expect(expectOk(await t.gql(MembersDocument)).members.map((m) => m.user.email)).not.toContain('owner@far-away.test');
  });

  it('bad input: an invalid email; an existing member is CONFLICT', async () => {
    expect(expectError(await t.gql(AddMemberDocument, { email: 'not-an-email', role: 'VIEWER' }), 'BAD_USER_INPUT', 400).fields).toEqual({ email: 'Enter a valid email address.' });
    expectError(await t.gql(AddMemberDocument, { email: 'NEW.person@acme.test', role: 'VIEWER' }), 'CONFLICT', 200);
  });

  it('security: needs members:create / members:read; cannot assign a role holding more than the caller', async () => {
    const reader = await t.createKey({ members: ['read'] });
    expectForbidden(await t.gql(AddMemberDocument, { email: 'a@acme.test', role: 'VIEWER' }, { key: reader.secret }), 'members:create');
    const noRead = await t.createKey({ members: ['create'] });
    expectForbidden(await t.gql(MembersDocument, {}, { key: noRead.secret }), 'members:read');
    const membersOnly = await t.createKey({ members: ['create', 'read', 'update', 'delete'] });
    const res = await t.gql(AddMemberDocument, { email: 'boss@acme.test', role: 'ADMIN' }, { key: membersOnly.secret });
    expectForbidden(res, 'shortLinks:create');
    expect(res.body.errors![0].message).toMatch(/^You cannot assign the ADMIN role: it holds shortLinks:create/);
  });

  it('only an owner makes owners: not an ADMIN session, not an all-permission BOT key', async () => {
    const admin = await t.addMember('admin1@acme.test', Role.ADMIN);
    const bySession = await t.gql(AddMemberDocument, { email: 'wannabe@acme.test', role: 'OWNER' }, { token: admin.token });
    expectForbidden(bySession, 'role:OWNER');
    expectForbidden(await t.gql(AddMemberDocument, { email: 'wannabe@acme.test', role: 'OWNER' }), 'role:OWNER');
    expect(expectOk(await t.gql(AddMemberDocument, { email: 'co-owner@acme.test', role: 'OWNER' }, { token: t.owner.token })).addMember.role).toBe('OWNER');
  });
});

describe('updateMemberRole', () => {
  it('a demotion narrows that member’s USER key on the very next request', async () => {
    const admin = await t.addMember('demoted@acme.test', Role.ADMIN);
    const key = await t.createKey({ apiKeys: ['read'], stats: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql(ApiKeysDocument, { first: 1 }, { key: key.secret }));
    expect(expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'VIEWER' })).updateMemberRole).toEqual({ user: { id: admin.userId, email: 'demoted@acme.test' }, role: 'VIEWER' });
    expectForbidden(await t.gql(ApiKeysDocument, { first: 1 }, { key: key.secret }), 'apiKeys:read');
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: key.secret })).viewer.permissions.scopes).toEqual(['stats:read']);
    const [event] = await t.dataSource.query("SELECT metadata FROM audit_events WHERE action = 'MEMBER_ROLE_CHANGED' AND target_id = $1", [admin.userId]);
    expect(event.metadata).toEqual({ from: 'ADMIN', to: 'VIEWER' });
  });

  it('the last owner cannot be demoted (CONFLICT); with two owners one can', async () => {
    const solo = await TestApp.create();
    try {
      const res = await solo.gql(UpdateMemberRoleDocument, { userId: solo.owner.userId, role: 'ADMIN' }, { token: solo.owner.token });
      expectError(res, 'CONFLICT', 200);
      expect(res.body.errors![0].message).toBe('Cannot demote the last owner of the organization; make someone else an owner first.');
      const second = await solo.addMember('second-owner@acme.test', Role.OWNER);
      expect(expectOk(await solo.gql(UpdateMemberRoleDocument, { userId: second.userId, role: 'ADMIN' }, { token: solo.owner.token })).updateMemberRole.role).toBe('ADMIN');
    } finally {
      await solo.close();
    }
  });

  it('only an owner changes an owner’s role; an ADMIN cannot promote itself', async () => {
    const admin = await t.addMember('climber@acme.test', Role.ADMIN);
    expectForbidden(await t.gql(UpdateMemberRoleDocument, { userId: t.owner.userId, role: 'VIEWER' }, { token: admin.token }), 'role:OWNER');
    expectForbidden(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'OWNER' }, { token: admin.token }), 'role:OWNER');
  });

  it('NOT_FOUND for an unknown user, a malformed id, and a member of another organization', async () => {
    for (const userId of ['00000000-0000-4000-8000-000000000000', 'nope', other.owner.userId]) {
      const res = await t.gql(UpdateMemberRoleDocument, { userId, role: 'VIEWER' });
      expect(res.body.errors![0]).toMatchObject({ message: 'Member not found.', extensions: { code: 'NOT_FOUND' } });
    }
    const reader = await t.createKey({ members: ['read'] });
    expectForbidden(await t.gql(UpdateMemberRoleDocument, { userId: t.owner.userId, role: 'OWNER' }, { key: reader.secret }), 'members:update');
  });
});

describe('removeMember', () => {
  it('deletes the membership and that user’s USER keys (now OWNER_REMOVED); their BOT keys live on; session refused', async () => {
    const admin = await t.addMember('leaving@acme.test', Role.ADMIN);
    const userKey = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    const botKey = await t.createKey({ stats: ['read'] }, { by: admin });
    const removed = expectOk(await t.gql(RemoveMemberDocument, { userId: admin.userId })).removeMember;
    expect(removed).toEqual({ userId: admin.userId, deletedApiKeyIds: [userKey.id] });
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: userKey.secret }), 'OWNER_REMOVED');
    expectOk(await t.gql(ViewerDocument, {}, { key: botKey.secret }));
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: admin.token }), 'INVALID_SESSION');
    const actions = await t.dataSource.query('SELECT action FROM audit_events WHERE target_id = ANY($1) ORDER BY created_at', [[admin.userId, userKey.id]]);
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['API_KEY_CREATED', 'API_KEY_DELETED', 'MEMBER_REMOVED']);
  });

  it('the last owner cannot be removed; an owner can only be removed by an owner; scope needed', async () => {
    const solo = await TestApp.create();
    try {
      expectError(await solo.gql(RemoveMemberDocument, { userId: solo.owner.userId }, { token: solo.owner.token }), 'CONFLICT', 200);
      const admin = await solo.addMember('admin@acme.test', Role.ADMIN);
      expectForbidden(await solo.gql(RemoveMemberDocument, { userId: solo.owner.userId }, { token: admin.token }), 'role:OWNER');
      const reader = await solo.createKey({ members: ['read'] });
      expectForbidden(await solo.gql(RemoveMemberDocument, { userId: admin.userId }, { key: reader.secret }), 'members:delete');
    } finally {
      await solo.close();
    }
  });

  it('another organization’s member is NOT_FOUND and stays', async () => {
    expectError(await t.gql(RemoveMemberDocument, { userId: other.owner.userId }), 'NOT_FOUND', 200);
    expect(expectOk(await t.gql(MembersDocument, {}, { key: other.rootKey })).members.map((m) => m.user.email)).toContain('owner@far-away.test');
  });
});

describe('auditLog', () => {
  it('newest first, with actor, target, ip and user agent; filters by action, target and time; paginates', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'audited' });
    await t.gql('mutation($id: ID!) { revokeApiKey(id: $id, reason: "audit test") { id } }', { id: key.id });
    const log = expectOk(await t.gql(AuditLogDocument, { first: 2, filter: { targetId: key.id } })).auditLog;
    expect(log.totalCount).toBe(2);
    expect(log.nodes.map((n) => n.action)).toEqual(['API_KEY_REVOKED', 'API_KEY_CREATED']);
    expect(log.nodes[0]).toMatchObject({
      actor: { kind: 'API_KEY', name: expect.stringMatching(/^bootstrap \(sk_live_[0-9a-f]{4}\)$/) },
      targetType: 'API_KEY',
      targetName: 'audited',
      metadata: { reason: 'audit test', prefix: expect.stringMatching(/^sk_live_/) },
      userAgent: 'keygate-tests',
      ip: '127.0.0.1',
    });
    const page1 = expectOk(await t.gql(AuditLogDocument, { first: 1, filter: { action: 'API_KEY_CREATED' } })).auditLog;
    const page2 = expectOk(await t.gql(AuditLogDocument, { first: 1, after: page1.pageInfo.endCursor, filter: { action: 'API_KEY_CREATED' } })).auditLog;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page2.nodes[0].id).not.toBe(page1.nodes[0].id);
    expect(new Date(page2.nodes[0].createdAt).getTime()).toBeLessThanOrEqual(new Date(page1.nodes[0].createdAt).getTime());
    const future = expectOk(await t.gql(AuditLogDocument, { filter: { since: new Date(Date.now() + 60_000).toISOString() } })).auditLog;
    expect(future.totalCount).toBe(0);
  });

  it('a refused mutation writes no event; other organizations’ events are invisible; needs apiKeys:read', async () => {
    const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [t.org.id]))[0].n;
    expectError(await t.gql(AddMemberDocument, { email: 'owner@acme.test', role: 'VIEWER' }), 'CONFLICT');
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [t.org.id]))[0].n).toBe(before);
    const theirs = expectOk(await t.gql(AuditLogDocument, { first: 100 }, { key: other.rootKey })).auditLog;
    const [{ n: theirCount }] = await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [other.org.id]);
    expect(theirs.totalCount).toBe(theirCount);
    const ids: { id: string }[] = await t.dataSource.query('SELECT id FROM audit_events WHERE org_id = $1', [t.org.id]);
    expect(theirs.nodes.filter((n) => ids.some((r) => r.id === n.id))).toEqual([]);
    const noRead = await t.createKey({ members: ['read'] });
    expectForbidden(await t.gql(AuditLogDocument, {}, { key: noRead.secret }), 'apiKeys:read');
    expect(expectError(await t.gql(AuditLogDocument, { filter: { targetId: 'x' } }), 'BAD_USER_INPUT', 400).fields).toEqual({ 'filter.targetId': 'targetId must be an ID.' });
  });
});

describe('viewer and permissionCatalog', () => {
  it('any authenticated principal may ask, even a key with no permissions at all', async () => {
    const empty = await t.createKey({}, { name: 'empty' });
    const viewer = expectOk(await t.gql(ViewerDocument, {}, { key: empty.secret })).viewer;
    expect(viewer).toMatchObject({ kind: 'API_KEY', organization: { id: t.org.id, name: 'Acme', plan: 'FREE' }, user: null, apiKey: { name: 'empty', type: 'BOT', status: 'ACTIVE' } });
    expect(viewer.permissions).toEqual({ scopes: [], shortLinks: [], apiKeys: [], members: [] });
    const catalog = expectOk(await t.gql(PermissionCatalogDocument, {}, { key: empty.secret })).permissionCatalog;
    expect(catalog).toHaveLength(28);
    const by = Object.fromEntries(catalog.map((c) => [c.scope, c]));
    expect(by['apiKeys:read'].fields).toEqual(expect.arrayContaining(['Query.apiKeys', 'Query.apiKey', 'Query.auditLog']));
    expect(by['members:delete'].fields).toEqual(['Mutation.removeMember']);
    expect(by['stats:read'].fields).toEqual(expect.arrayContaining(['Query.stats', 'ShortLink.clicks', 'ShortLink.stats']));
    expect(by['shortLinks:read'].fields).toEqual(expect.arrayContaining(['ShortLink', 'Query.shortLinks']));
    expect(by['files:read']).toEqual({ scope: 'files:read', resource: 'files', action: 'read', description: 'Read uploaded files.', fields: [] });
  });

  it('a USER key shows its owner as user; a session shows the signed-in user and role permissions', async () => {
    const member = await t.addMember('viewer-member@acme.test', Role.MEMBER);
    const key = await t.createKey({ stats: ['read'], apiKeys: ['read'] }, { type: 'USER' as never, by: await t.addMember('viewer-admin@acme.test', Role.ADMIN) });
    const asKey = expectOk(await t.gql(ViewerDocument, {}, { key: key.secret })).viewer;
    expect(asKey).toMatchObject({ kind: 'API_KEY', user: { email: 'viewer-admin@acme.test' } });
    const asSession = expectOk(await t.gql(ViewerDocument, {}, { token: member.token })).viewer;
    expect(asSession).toMatchObject({ kind: 'USER', user: { id: member.userId }, apiKey: null });
    expect(asSession.permissions.apiKeys).toEqual([]);
    expect(asSession.permissions.shortLinks).toEqual(['create', 'read', 'update', 'delete']);
  });
});
