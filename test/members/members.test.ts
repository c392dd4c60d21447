import { Client } from 'pg';
import { ALL_PERMISSIONS, maskFromScopes } from '../support/access';
import { type Scope } from '../../src/kernel/permissions';
import { Role } from '../../src/kernel/access';
import {
  AddMemberBareDocument,
  AddMemberDocument,
  ApiKeyDocument,
  ApiKeyTotalDocument,
  AuditLogDocument,
  MembersDocument,
  RemoveMemberBareDocument,
  RemoveMemberDocument,
  UpdateMemberRoleBareDocument,
  UpdateMemberRoleDocument,
  ViewerDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal, expectUnauthenticated } from '../support/expect';
import { TestApp, type GqlResponse, type Member } from '../support/harness';
import { scopesOfResource, VIEWER_SCOPES } from '../support/access';

let t: TestApp;
let other: Awaited<ReturnType<TestApp['createOtherOrganization']>>;
/** The owner's own USER key with every permission: acts as the owner. */
let ownerUserKey: { id: string; secret: string };

beforeAll(async () => {
  t = await TestApp.create();
  other = await t.createOtherOrganization('Far Away');
  ownerUserKey = await t.createKey(ALL_PERMISSIONS, { type: 'USER' as never, name: 'owner cli' });
});
afterAll(() => t.close());

const NO_UUID = '00000000-0000-4000-8000-000000000000';
const API_KEYS_ALL = scopesOfResource('apiKeys');
const MEMBERS_ALL = scopesOfResource('members');

/** Every permission except `scopes`. */
const allBut = (...scopes: Scope[]) => ALL_PERMISSIONS & ~maskFromScopes(scopes);

async function roleOf(userId: string, orgId = t.org.id): Promise<string | null> {
  const rows: { role: string }[] = await t.dataSource.query('SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2', [
    orgId,
    userId,
  ]);
  return rows[0]?.role ?? null;
}

async function auditCount(orgId = t.org.id): Promise<number> {
  return (await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [orgId]))[0].n;
}

/** Separate transactions a few ms apart, so "newest first" has one right answer (timestamps are ms). */
const tick = () => new Promise((r) => setTimeout(r, 3));

/** The parts of a response a client can observe, for "indistinguishable" comparisons. */
const observable = (res: GqlResponse<unknown>) => ({ status: res.status, body: res.body });

describe('members', () => {
  it('lists every member of the caller’s organization with user, role and joinedAt, oldest first', async () => {
    const org = await t.createOtherOrganization('Listing Co');
    const a = await t.addMember('a-admin@listing-co.test', Role.ADMIN, org.org.id);
    const b = await t.addMember('b-viewer@listing-co.test', Role.VIEWER, org.org.id);
    const list = expectOk(await t.gql(MembersDocument, {}, { key: org.rootKey })).members;
    expect(list.map((m) => ({ id: m.user.id, email: m.user.email, name: m.user.name, role: m.role }))).toEqual([
      { id: org.owner.userId, email: 'owner@listing-co.test', name: null, role: 'OWNER' },
      { id: a.userId, email: 'a-admin@listing-co.test', name: null, role: 'ADMIN' },
      { id: b.userId, email: 'b-viewer@listing-co.test', name: null, role: 'VIEWER' },
    ]);
    const joined = list.map((m) => new Date(m.joinedAt).getTime());
    expect(joined.every((ms) => Number.isFinite(ms) && ms <= Date.now())).toBe(true);
    expect([...joined].sort((x, y) => x - y)).toEqual(joined);
  });

  it('works for a session and a USER key as well as a BOT key; other organizations’ members are invisible', async () => {
    const admin = await t.addMember('lister@acme.test', Role.ADMIN);
    await t.addMember('far-member@far-away.test', Role.MEMBER, other.org.id);
    const viaSession = expectOk(await t.gql(MembersDocument, {}, { token: admin.token })).members.map((m) => m.user.email);
    const viaUserKey = expectOk(await t.gql(MembersDocument, {}, { key: ownerUserKey.secret })).members.map((m) => m.user.email);
    const viaBot = expectOk(await t.gql(MembersDocument)).members.map((m) => m.user.email);
    expect(viaSession).toEqual(viaBot);
    expect(viaUserKey).toEqual(viaBot);
    expect(viaBot).toEqual(expect.arrayContaining(['owner@acme.test', 'lister@acme.test']));
    expect(viaBot).not.toContain('owner@far-away.test');
    expect(viaBot).not.toContain('far-member@far-away.test');
    const theirs = expectOk(await t.gql(MembersDocument, {}, { key: other.rootKey })).members.map((m) => m.user.email);
    expect(theirs).toEqual(['owner@far-away.test', 'far-member@far-away.test']);
  });

  it('security: needs members:read, from a key and from a session (MEMBER and VIEWER roles hold nothing on members)', async () => {
    const noRead = await t.createKey(allBut('members:read'));
    expectForbidden(await t.gql(MembersDocument, {}, { key: noRead.secret }), 'members:read');
    const member = await t.addMember('plain-member@acme.test', Role.MEMBER);
    expectForbidden(await t.gql(MembersDocument, {}, { token: member.token }), 'members:read');
    const viewer = await t.addMember('plain-viewer@acme.test', Role.VIEWER);
    expectForbidden(await t.gql(MembersDocument, {}, { token: viewer.token }), 'members:read');
    expectUnauthenticated(await t.gql(MembersDocument, {}, null), 'MISSING');
  });
});

describe('addMember', () => {
  it('adds a member, creating the user on first sight (trimmed, lower-cased), and audits MEMBER_ADDED', async () => {
    const added = expectOk(await t.gql(AddMemberDocument, { email: '  New.Person@Acme.TEST ', role: 'MEMBER' })).addMember;
    expect(added).toEqual({
      user: { id: expect.any(String), email: 'new.person@acme.test' },
      role: 'MEMBER',
      joinedAt: expect.any(String),
    });
    expect(Math.abs(new Date(added.joinedAt).getTime() - Date.now())).toBeLessThan(60_000);
    const list = expectOk(await t.gql(MembersDocument)).members;
    expect(list.find((m) => m.user.id === added.user.id)).toMatchObject({ user: { email: 'new.person@acme.test' }, role: 'MEMBER' });
    const users = await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['new.person@acme.test']);
    expect(users).toEqual([{ id: added.user.id }]);
    const log = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: added.user.id } })).auditLog;
    expect(log.nodes.map((n) => [n.action, n.targetType, n.targetName, n.metadata])).toEqual([
      ['MEMBER_ADDED', 'MEMBER', 'new.person@acme.test', { role: 'MEMBER' }],
    ]);
  });

  it('an existing user (a member elsewhere) keeps one identity across organizations', async () => {
    const added = expectOk(await t.gql(AddMemberDocument, { email: 'OWNER@far-away.test', role: 'VIEWER' })).addMember;
    expect(added.user).toEqual({ id: other.owner.userId, email: 'owner@far-away.test' });
    expect(await roleOf(other.owner.userId)).toBe('VIEWER');
    expect(await roleOf(other.owner.userId, other.org.id)).toBe('OWNER');
    // Joining Acme does not bring Acme's members into Far Away's list.
    const theirs = expectOk(await t.gql(MembersDocument, {}, { key: other.rootKey })).members.map((m) => m.user.email);
    expect(theirs).not.toContain('new.person@acme.test');
    expect(theirs).not.toContain('owner@acme.test');
  });

  it.each([
    ['no @', 'not-an-email'],
    ['empty', ''],
    ['blank', '   '],
    ['no domain', 'no-domain@'],
    ['no local part', '@acme.test'],
    ['a space inside', 'two words@acme.test'],
    ['a dotless domain', 'dotless@acme'],
    ['a 65-character local part', `${'x'.repeat(65)}@acme.test`],
    ['over 254 characters', `a@${'d'.repeat(250)}.test`],
  ])('bad input (%s) is BAD_USER_INPUT with extensions.fields.email, and nothing is written', async (_case, email) => {
    const before = await auditCount();
    const [{ n: users }] = await t.dataSource.query('SELECT count(*)::int AS n FROM users');
    const res = await t.gql(AddMemberDocument, { email, role: 'VIEWER' });
    const ext = expectError(res, 'BAD_USER_INPUT', 400);
    expect(ext.fields).toEqual({ email: 'Enter a valid email address.' });
    expect(res.body.errors![0].message).toBe('Enter a valid email address.');
    expect(res.body.data).toBeNull();
    expect(await auditCount()).toBe(before);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM users'))[0].n).toBe(users);
  });

  it('bad input: a role outside the enum is refused by GraphQL validation (BAD_USER_INPUT, 400)', async () => {
    const res = await t.gql(AddMemberDocument, { email: 'enum@acme.test', role: 'KING' as never });
    expectError(res, 'BAD_USER_INPUT', 400);
    expect(res.body.errors![0].message).toMatch(/"KING" does not exist in "Role" enum/);
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['enum@acme.test'])).toEqual([]);
  });

  it('CONFLICT for someone who is already a member (whatever the case of the address); no event, role unchanged', async () => {
    const existing = await t.addMember('already@acme.test', Role.MEMBER);
    const before = await auditCount();
    const res = await t.gql(AddMemberDocument, { email: 'Already@ACME.test', role: 'ADMIN' });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('already@acme.test is already a member of this organization.');
    expect(res.body.data).toBeNull();
    expect(await roleOf(existing.userId)).toBe('MEMBER');
    expect(await auditCount()).toBe(before);
    expectError(await t.gql(AddMemberDocument, { email: 'owner@acme.test', role: 'VIEWER' }), 'CONFLICT', 200);
  });

  it('security: needs members:create (a key holding everything else is refused)', async () => {
    const key = await t.createKey(allBut('members:create'));
    expectForbidden(await t.gql(AddMemberDocument, { email: 'scope@acme.test', role: 'VIEWER' }, { key: key.secret }), 'members:create');
    const member = await t.addMember('member-adder@acme.test', Role.MEMBER);
    expectForbidden(
      await t.gql(AddMemberBareDocument, { email: 'scope@acme.test', role: 'VIEWER' }, { token: member.token }),
      'members:create',
    );
    // The full document also reads the added Member, which needs members:read: both are named, nothing runs.
    const full = await t.gql(AddMemberDocument, { email: 'scope@acme.test', role: 'VIEWER' }, { token: member.token });
    expectForbidden(full, ['members:create', 'members:read']);
    expect(full.body).not.toHaveProperty('data');
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['scope@acme.test'])).toEqual([]);
  });

  it('escalation: members:* without apiKeys:* cannot add an ADMIN or OWNER (NO_ESCALATION naming every apiKeys scope), but can add a MEMBER', async () => {
    const key = await t.createKey(allBut(...API_KEYS_ALL), { name: 'membership bot' });
    const before = await auditCount();
    const admin = await t.gql(AddMemberDocument, { email: 'would-be-admin@acme.test', role: 'ADMIN' }, { key: key.secret });
    expectRuleRefusal(admin, 'NO_ESCALATION', API_KEYS_ALL);
    expect(admin.body.errors![0].message).toBe(
      'You cannot assign the ADMIN role: it holds apiKeys:create, apiKeys:read, apiKeys:update, apiKeys:delete, which you do not.',
    );
    expectRuleRefusal(
      await t.gql(AddMemberDocument, { email: 'would-be-admin@acme.test', role: 'OWNER' }, { key: key.secret }),
      'NO_ESCALATION',
      API_KEYS_ALL,
    );
    expect(await auditCount()).toBe(before);
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['would-be-admin@acme.test'])).toEqual([]);
    expect(
      expectOk(await t.gql(AddMemberDocument, { email: 'would-be-admin@acme.test', role: 'MEMBER' }, { key: key.secret })).addMember.role,
    ).toBe('MEMBER');
  });

  it('escalation: a key holding only members:* cannot even add a VIEWER (NO_ESCALATION naming the reads it lacks)', async () => {
    const key = await t.createKey({ members: ['create', 'read', 'update', 'delete'] });
    expectRuleRefusal(
      await t.gql(AddMemberDocument, { email: 'v@acme.test', role: 'VIEWER' }, { key: key.secret }),
      'NO_ESCALATION',
      VIEWER_SCOPES,
    );
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['v@acme.test'])).toEqual([]);
  });

  it('only an owner makes owners: ADMIN session, ADMIN’s USER key and an all-permission BOT key get FORBIDDEN OWNER_ONLY', async () => {
    const admin = await t.addMember('ambitious-admin@acme.test', Role.ADMIN);
    const adminKey = await t.createKey(ALL_PERMISSIONS, { type: 'USER' as never, by: admin });
    const before = await auditCount();
    for (const auth of [{ token: admin.token }, { key: adminKey.secret }, { key: t.rootKey }]) {
      const res = await t.gql(AddMemberDocument, { email: 'wannabe-owner@acme.test', role: 'OWNER' }, auth);
      expectRuleRefusal(res, 'OWNER_ONLY');
      expect(res.body.errors![0].message).toBe('Only an owner can make someone an owner.');
    }
    expect(await auditCount()).toBe(before);
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['wannabe-owner@acme.test'])).toEqual([]);
  });

  it('an OWNER session, and the owner’s USER key, can add an OWNER', async () => {
    const bySession = expectOk(
      await t.gql(AddMemberDocument, { email: 'co-owner-1@acme.test', role: 'OWNER' }, { token: t.owner.token }),
    ).addMember;
    expect(bySession.role).toBe('OWNER');
    const byKey = expectOk(
      await t.gql(AddMemberDocument, { email: 'co-owner-2@acme.test', role: 'OWNER' }, { key: ownerUserKey.secret }),
    ).addMember;
    expect(byKey.role).toBe('OWNER');
    // Clean up: back to a single owner so later tests see the usual shape.
    for (const id of [bySession.user.id, byKey.user.id])
      expectOk(await t.gql(RemoveMemberDocument, { userId: id }, { token: t.owner.token }));
    const owners = await t.dataSource.query("SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'OWNER'", [t.org.id]);
    expect(owners).toEqual([{ user_id: t.owner.userId }]);
  });
});

describe('updateMemberRole', () => {
  it('changes the role, returns the member and audits MEMBER_ROLE_CHANGED {from, to}', async () => {
    const m = await t.addMember('promote-me@acme.test', Role.MEMBER);
    const res = expectOk(await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'ADMIN' }));
    expect(res.updateMemberRole).toEqual({ user: { id: m.userId, email: 'promote-me@acme.test' }, role: 'ADMIN' });
    expect(expectOk(await t.gql(MembersDocument)).members.find((x) => x.user.id === m.userId)?.role).toBe('ADMIN');
    const log = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: m.userId } })).auditLog;
    expect(log.nodes.map((n) => [n.action, n.targetType, n.targetName, n.metadata])).toEqual([
      ['MEMBER_ROLE_CHANGED', 'MEMBER', 'promote-me@acme.test', { from: 'MEMBER', to: 'ADMIN' }],
    ]);
  });

  it('takes effect at once: a demoted ADMIN’s USER key is FORBIDDEN on apiKeys:read on the very next request, still may call viewer', async () => {
    const admin = await t.addMember('demoted@acme.test', Role.ADMIN);
    const key = await t.createKey({ apiKeys: ['read'], stats: ['read'] }, { type: 'USER' as never, by: admin });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expectOk(await t.gql(MembersDocument, {}, { token: admin.token }));

    expect(expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'VIEWER' })).updateMemberRole.role).toBe('VIEWER');

    expectForbidden(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }), 'apiKeys:read');
    const viewer = expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret })).viewer;
    expect(viewer).toMatchObject({ kind: 'API_KEY', user: { id: admin.userId } });
    expect(viewer.permissions.scopes).toEqual(['stats:read']);
    // The key itself lives on (ACTIVE), but reading it, even as itself, needs the apiKeys:read it no longer has.
    expect(expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey).toMatchObject({ id: key.id, type: 'USER', status: 'ACTIVE' });
    const self = await t.gql(ViewerDocument, {}, { key: key.secret });
    expect(self.status).toBe(200);
    expect(self.body.data!.viewer).toMatchObject({ kind: 'API_KEY', apiKey: null });
    expect(self.body.errors!.map((e) => [e.path!.join('.'), e.extensions])).toEqual([
      ['viewer.apiKey.id', { code: 'FORBIDDEN', required: ['apiKeys:read'] }],
    ]);
    // The session narrows too: the membership row, not the token, says what the user may do.
    expectForbidden(await t.gql(MembersDocument, {}, { token: admin.token }), 'members:read');

    // The grant itself is kept: promoting again restores the key's access.
    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'ADMIN' }));
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: key.secret }));
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: key.secret })).viewer.permissions.scopes).toEqual([
      'stats:read',
      'apiKeys:read',
    ]);
  });

  it('setting the role a member already has changes nothing and writes no event', async () => {
    const m = await t.addMember('steady@acme.test', Role.MEMBER);
    const before = await auditCount();
    expect(expectOk(await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'MEMBER' })).updateMemberRole).toEqual({
      user: { id: m.userId, email: 'steady@acme.test' },
      role: 'MEMBER',
    });
    expect(await auditCount()).toBe(before);
  });

  it('bad input: an unknown id, a malformed id and another organization’s user are all the same NOT_FOUND', async () => {
    const unknown = await t.gql(UpdateMemberRoleDocument, { userId: NO_UUID, role: 'VIEWER' });
    expectError(unknown, 'NOT_FOUND', 200);
    expect(unknown.body).toEqual({
      data: null,
      errors: [
        { message: 'Member not found.', locations: expect.any(Array), path: ['updateMemberRole'], extensions: { code: 'NOT_FOUND' } },
      ],
    });
    const foreigner = await t.addMember('far-only@far-away.test', Role.MEMBER, other.org.id);
    for (const userId of ['nope', '', '12345', foreigner.userId]) {
      expect(observable(await t.gql(UpdateMemberRoleDocument, { userId, role: 'VIEWER' }))).toEqual(observable(unknown));
    }
    expect(await roleOf(foreigner.userId, other.org.id)).toBe('MEMBER');
  });

  it('security: needs members:update', async () => {
    const m = await t.addMember('untouched@acme.test', Role.MEMBER);
    const key = await t.createKey(allBut('members:update'));
    expectForbidden(await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'VIEWER' }, { key: key.secret }), 'members:update');
    const member = await t.addMember('member-updater@acme.test', Role.MEMBER);
    expectForbidden(
      await t.gql(UpdateMemberRoleBareDocument, { userId: m.userId, role: 'VIEWER' }, { token: member.token }),
      'members:update',
    );
    // The full document also reads the Member, which needs members:read: both are named, nothing runs.
    const full = await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'VIEWER' }, { token: member.token });
    expectForbidden(full, ['members:read', 'members:update']);
    expect(full.body).not.toHaveProperty('data');
    expect(await roleOf(m.userId)).toBe('MEMBER');
  });

  it('escalation: members:* without apiKeys:* cannot promote to ADMIN (NO_ESCALATION, apiKeys:*); the role stays', async () => {
    const m = await t.addMember('stays-member@acme.test', Role.MEMBER);
    const key = await t.createKey(allBut(...API_KEYS_ALL));
    expectRuleRefusal(
      await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'ADMIN' }, { key: key.secret }),
      'NO_ESCALATION',
      API_KEYS_ALL,
    );
    expect(await roleOf(m.userId)).toBe('MEMBER');
    expect(
      expectOk(await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'VIEWER' }, { key: key.secret })).updateMemberRole.role,
    ).toBe('VIEWER');
  });

  it('only an owner promotes to OWNER or changes an owner’s role: ADMIN session, ADMIN’s USER key, all-permission BOT key are refused', async () => {
    const admin = await t.addMember('climber@acme.test', Role.ADMIN);
    const adminKey = await t.createKey(ALL_PERMISSIONS, { type: 'USER' as never, by: admin });
    const before = await auditCount();
    for (const auth of [{ token: admin.token }, { key: adminKey.secret }, { key: t.rootKey }]) {
      const promote = await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'OWNER' }, auth);
      expectRuleRefusal(promote, 'OWNER_ONLY');
      expect(promote.body.errors![0].message).toBe('Only an owner can make someone an owner.');
      const demote = await t.gql(UpdateMemberRoleDocument, { userId: t.owner.userId, role: 'VIEWER' }, auth);
      expectRuleRefusal(demote, 'OWNER_ONLY');
      expect(demote.body.errors![0].message).toBe('Only an owner can change an owner’s role.');
    }
    expect(await roleOf(admin.userId)).toBe('ADMIN');
    expect(await roleOf(t.owner.userId)).toBe('OWNER');
    expect(await auditCount()).toBe(before);
  });

  it('an owner’s session and the owner’s USER key can make an owner and demote an owner', async () => {
    const admin = await t.addMember('crowned@acme.test', Role.ADMIN);
    const steps: [Role, { token: string } | { key: string }][] = [
      [Role.OWNER, { token: t.owner.token }],
      [Role.MEMBER, { key: ownerUserKey.secret }],
      [Role.OWNER, { key: ownerUserKey.secret }],
      [Role.ADMIN, { token: t.owner.token }],
    ];
    for (const [role, auth] of steps) {
      await tick();
      expect(expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role }, auth)).updateMemberRole.role).toBe(role);
    }
    const log = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: admin.userId } })).auditLog;
    expect(log.nodes.map((n) => n.metadata)).toEqual([
      { from: 'OWNER', to: 'ADMIN' },
      { from: 'MEMBER', to: 'OWNER' },
      { from: 'OWNER', to: 'MEMBER' },
      { from: 'ADMIN', to: 'OWNER' },
    ]);
    expect(log.nodes.map((n) => n.actor.kind)).toEqual(['USER', 'API_KEY', 'API_KEY', 'USER']);
  });

  it('the last owner cannot be demoted (CONFLICT, 200); with two owners one can, even themselves', async () => {
    const solo = await t.createOtherOrganization('Solo Demote');
    const before = await auditCount(solo.org.id);
    const res = await t.gql(UpdateMemberRoleDocument, { userId: solo.owner.userId, role: 'ADMIN' }, { token: solo.owner.token });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('Cannot demote the last owner of the organization; make someone else an owner first.');
    expect(res.body.data).toBeNull();
    expect(await roleOf(solo.owner.userId, solo.org.id)).toBe('OWNER');
    expect(await auditCount(solo.org.id)).toBe(before);

    const second = expectOk(
      await t.gql(AddMemberDocument, { email: 'second@solo-demote.test', role: 'OWNER' }, { token: solo.owner.token }),
    ).addMember;
    expect(
      expectOk(await t.gql(UpdateMemberRoleDocument, { userId: solo.owner.userId, role: 'ADMIN' }, { token: solo.owner.token }))
        .updateMemberRole.role,
    ).toBe('ADMIN');
    // Now `second` is the last owner, and the demoted first owner is no longer an owner.
    expectError(
      await t.gql(
        UpdateMemberRoleDocument,
        { userId: second.user.id, role: 'ADMIN' },
        { token: (await sessionFor(second.user.id, solo.org.id)).token },
      ),
      'CONFLICT',
      200,
    );
    expectRuleRefusal(
      await t.gql(UpdateMemberRoleDocument, { userId: second.user.id, role: 'ADMIN' }, { token: solo.owner.token }),
      'OWNER_ONLY',
    );
    expect(await roleOf(second.user.id, solo.org.id)).toBe('OWNER');
  });

  it('two owners demoting each other at the same moment: one wins; the other, no longer an owner when its change commits, gets OWNER_ONLY; one owner remains', async () => {
    const org = await t.createOtherOrganization('Race Demote');
    const second = await t.addMember('second@race-demote.test', Role.OWNER, org.org.id);
    const before = await auditCount(org.org.id);
    const [a, b] = await whileMembershipsLocked(org.org.id, 2, () =>
      Promise.all([
        t.gql(UpdateMemberRoleDocument, { userId: second.userId, role: 'ADMIN' }, { token: org.owner.token }),
        t.gql(UpdateMemberRoleDocument, { userId: org.owner.userId, role: 'ADMIN' }, { token: second.token }),
      ]),
    );
    const outcomes = [a, b].map((r) => r.body.errors?.[0]?.extensions?.code ?? 'OK');
    expect([...outcomes].sort()).toEqual(['FORBIDDEN', 'OK']);
    const [winner, loser] = outcomes[0] === 'OK' ? [a, b] : [b, a];
    const winnerId = winner === a ? org.owner.userId : second.userId;
    expect(winner.status).toBe(200);
    expect(winner.body.data!.updateMemberRole.role).toBe('ADMIN');
    // The loser's authority is checked again inside its own transaction: it was demoted first, so it is refused.
    expectRuleRefusal(loser, 'OWNER_ONLY');
    expect(loser.body.errors![0].message).toBe('Only an owner can change an owner’s role.');
    const owners = await t.dataSource.query("SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'OWNER'", [org.org.id]);
    expect(owners).toEqual([{ user_id: winnerId }]);
    expect(await auditCount(org.org.id)).toBe(before + 1);
  });
});

describe('removeMember', () => {
  it('deletes the membership and the member’s USER keys; their BOT keys keep working; key and session are refused at once', async () => {
    const admin = await t.addMember('leaving@acme.test', Role.ADMIN);
    const userKey = await t.createKey({ stats: ['read'], apiKeys: ['read'] }, { type: 'USER' as never, by: admin, name: 'leaving laptop' });
    await tick();
    const botKey = await t.createKey({ stats: ['read'], apiKeys: ['read'] }, { by: admin, name: 'leaving bot' });
    expectOk(await t.gql(ViewerDocument, {}, { key: userKey.secret }));

    const removed = expectOk(await t.gql(RemoveMemberDocument, { userId: admin.userId })).removeMember;
    expect(removed).toEqual({ userId: admin.userId, deletedApiKeyIds: [userKey.id] });

    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: userKey.secret }), 'OWNER_REMOVED');
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: admin.token }), 'INVALID_SESSION');
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: botKey.secret })).viewer.apiKey).toEqual({
      id: botKey.id,
      name: 'leaving bot',
      type: 'BOT',
      status: 'ACTIVE',
    });
    expectOk(await t.gql(ApiKeyTotalDocument, {}, { key: botKey.secret }));

    expect(expectOk(await t.gql(MembersDocument)).members.map((m) => m.user.id)).not.toContain(admin.userId);
    expect(expectOk(await t.gql(ApiKeyDocument, { id: userKey.id })).apiKey).toBeNull();
    expect(expectOk(await t.gql(ApiKeyDocument, { id: botKey.id })).apiKey).toMatchObject({ id: botKey.id, status: 'ACTIVE' });

    const memberLog = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: admin.userId } })).auditLog.nodes;
    expect(memberLog.map((n) => [n.action, n.targetName, n.metadata])).toEqual([
      ['MEMBER_REMOVED', 'leaving@acme.test', { role: 'ADMIN', deletedApiKeyIds: [userKey.id] }],
    ]);
    const keyLog = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: userKey.id } })).auditLog.nodes;
    expect(keyLog.map((n) => [n.action, n.targetName])).toEqual([
      ['API_KEY_DELETED', 'leaving laptop'],
      ['API_KEY_CREATED', 'leaving laptop'],
    ]);
    expect(keyLog[0].metadata).toEqual({ prefix: userKey.secret.slice(0, 12), type: 'USER', cause: 'MEMBER_REMOVED' });
    expect(
      expectOk(await t.gql(AuditLogDocument, { filter: { targetId: botKey.id, action: 'API_KEY_DELETED' } })).auditLog.totalCount,
    ).toBe(0);
  });

  it('a member without USER keys: deletedApiKeyIds is empty; a revoked USER key is deleted too', async () => {
    const plain = await t.addMember('no-keys@acme.test', Role.MEMBER);
    expect(expectOk(await t.gql(RemoveMemberDocument, { userId: plain.userId })).removeMember).toEqual({
      userId: plain.userId,
      deletedApiKeyIds: [],
    });

    const admin = await t.addMember('two-keys@acme.test', Role.ADMIN);
    const old = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    await t.app.services.apiKeys.revoke(admin.caller, old.id, 'replaced');
    const current = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    const removed = expectOk(await t.gql(RemoveMemberDocument, { userId: admin.userId })).removeMember;
    expect([...removed.deletedApiKeyIds].sort()).toEqual([old.id, current.id].sort());
  });

  it('only this organization’s USER keys go: the same person’s key and session in another organization keep working', async () => {
    const both = await t.addMember('two-orgs@acme.test', Role.ADMIN);
    const elsewhere = await t.addMember('two-orgs@acme.test', Role.ADMIN, other.org.id);
    const here = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: both });
    const there = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: elsewhere });
    expect(expectOk(await t.gql(RemoveMemberDocument, { userId: both.userId })).removeMember.deletedApiKeyIds).toEqual([here.id]);
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { key: here.secret }), 'OWNER_REMOVED');
    expect(expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: there.secret })).viewer.organization.id).toBe(other.org.id);
    expect(expectOk(await t.gql(ViewerDocument, {}, { token: elsewhere.token })).viewer.organization.id).toBe(other.org.id);
  });

  it('a removed member can be added again and starts from scratch', async () => {
    const m = await t.addMember('returning@acme.test', Role.ADMIN);
    expectOk(await t.gql(RemoveMemberDocument, { userId: m.userId }));
    const again = expectOk(await t.gql(AddMemberDocument, { email: 'returning@acme.test', role: 'VIEWER' })).addMember;
    expect(again).toMatchObject({ user: { id: m.userId }, role: 'VIEWER' });
    const viewer = expectOk(await t.gql(ViewerDocument, {}, { token: m.token })).viewer;
    expect(viewer.permissions.scopes).toEqual(VIEWER_SCOPES);
  });

  it('bad input: an unknown id, a malformed id and another organization’s member are all the same NOT_FOUND; nothing is removed', async () => {
    const unknown = await t.gql(RemoveMemberDocument, { userId: NO_UUID });
    expectError(unknown, 'NOT_FOUND', 200);
    expect(unknown.body.errors![0].message).toBe('Member not found.');
    const foreigner = await t.addMember('stays-far@far-away.test', Role.ADMIN, other.org.id);
    const foreignKey = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: foreigner });
    const before = await auditCount(other.org.id);
    for (const userId of ['nope', foreigner.userId]) {
      expect(observable(await t.gql(RemoveMemberDocument, { userId }))).toEqual(observable(unknown));
    }
    expect(await roleOf(foreigner.userId, other.org.id)).toBe('ADMIN');
    expect(await auditCount(other.org.id)).toBe(before);
    expect(expectOk(await t.gql(MembersDocument, {}, { key: other.rootKey })).members.map((m) => m.user.email)).toContain(
      'stays-far@far-away.test',
    );
    expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: foreignKey.secret }));
  });

  it('security: needs members:delete', async () => {
    const m = await t.addMember('not-removed@acme.test', Role.MEMBER);
    const key = await t.createKey(allBut('members:delete'));
    expectForbidden(await t.gql(RemoveMemberDocument, { userId: m.userId }, { key: key.secret }), 'members:delete');
    const member = await t.addMember('member-remover@acme.test', Role.MEMBER);
    expectForbidden(await t.gql(RemoveMemberBareDocument, { userId: m.userId }, { token: member.token }), 'members:delete');
    // The full document also reads the deleted key ids, which needs apiKeys:read: both are named, nothing runs.
    const full = await t.gql(RemoveMemberDocument, { userId: m.userId }, { token: member.token });
    expectForbidden(full, ['apiKeys:read', 'members:delete']);
    expect(full.body).not.toHaveProperty('data');
    expect(await roleOf(m.userId)).toBe('MEMBER');
  });

  it('a key with members:* (and nothing on apiKeys) may remove a MEMBER; the removal is audited with that key as actor', async () => {
    const m = await t.addMember('removed-by-bot@acme.test', Role.MEMBER);
    const key = await t.createKey(maskFromScopes(MEMBERS_ALL), { name: 'hr bot' });
    // The ids of the USER keys deleted with the member are key data: asking for them needs apiKeys:read, and nothing runs.
    expectForbidden(await t.gql(RemoveMemberDocument, { userId: m.userId }, { key: key.secret }), 'apiKeys:read');
    expect(await roleOf(m.userId)).toBe('MEMBER');
    expect(expectOk(await t.gql(RemoveMemberBareDocument, { userId: m.userId }, { key: key.secret })).removeMember).toEqual({
      userId: m.userId,
    });
    expect(await roleOf(m.userId)).toBeNull();
    const [event] = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: m.userId } })).auditLog.nodes;
    expect(event.actor).toEqual({ kind: 'API_KEY', id: key.id, name: `hr bot (${key.secret.slice(0, 12)})` });
  });

  it('only an owner removes an owner: ADMIN session, ADMIN’s USER key and an all-permission BOT key get FORBIDDEN OWNER_ONLY', async () => {
    const coOwner = await t.addMember('co-owner-stays@acme.test', Role.OWNER);
    const admin = await t.addMember('usurper@acme.test', Role.ADMIN);
    const adminKey = await t.createKey(ALL_PERMISSIONS, { type: 'USER' as never, by: admin });
    for (const auth of [{ token: admin.token }, { key: adminKey.secret }, { key: t.rootKey }]) {
      const res = await t.gql(RemoveMemberDocument, { userId: coOwner.userId }, auth);
      expectRuleRefusal(res, 'OWNER_ONLY');
      expect(res.body.errors![0].message).toBe('Only an owner can remove an owner.');
    }
    expect(await roleOf(coOwner.userId)).toBe('OWNER');
    // The owner's USER key may.
    expect(expectOk(await t.gql(RemoveMemberDocument, { userId: coOwner.userId }, { key: ownerUserKey.secret })).removeMember.userId).toBe(
      coOwner.userId,
    );
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: coOwner.token }), 'INVALID_SESSION');
  });

  it('the last owner cannot be removed (CONFLICT, 200); with two owners, an owner’s session can remove the other', async () => {
    const solo = await t.createOtherOrganization('Solo Remove');
    const before = await auditCount(solo.org.id);
    const res = await t.gql(RemoveMemberDocument, { userId: solo.owner.userId }, { token: solo.owner.token });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('Cannot remove the last owner of the organization; make someone else an owner first.');
    expect(await roleOf(solo.owner.userId, solo.org.id)).toBe('OWNER');
    expect(await auditCount(solo.org.id)).toBe(before);
    expectOk(await t.gql(ViewerDocument, {}, { token: solo.owner.token }));

    const second = await t.addMember('second@solo-remove.test', Role.OWNER, solo.org.id);
    expect(expectOk(await t.gql(RemoveMemberDocument, { userId: second.userId }, { token: solo.owner.token })).removeMember).toEqual({
      userId: second.userId,
      deletedApiKeyIds: [],
    });
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: second.token }), 'INVALID_SESSION');
  });

  it('two owners removing each other at the same moment: one wins; the other, removed before its change commits, is UNAUTHENTICATED; one owner remains', async () => {
    const org = await t.createOtherOrganization('Race Remove');
    const second = await t.addMember('second@race-remove.test', Role.OWNER, org.org.id);
    const before = await auditCount(org.org.id);
    const [a, b] = await whileMembershipsLocked(org.org.id, 2, () =>
      Promise.all([
        t.gql(RemoveMemberDocument, { userId: second.userId }, { token: org.owner.token }),
        t.gql(RemoveMemberDocument, { userId: org.owner.userId }, { token: second.token }),
      ]),
    );
    const outcomes = [a, b].map((r) => r.body.errors?.[0]?.extensions?.code ?? 'OK');
    expect([...outcomes].sort()).toEqual(['OK', 'UNAUTHENTICATED']);
    const [winner, loser] = outcomes[0] === 'OK' ? [a, b] : [b, a];
    const [winnerId, loserId] = winner === a ? [org.owner.userId, second.userId] : [second.userId, org.owner.userId];
    expect(winner.status).toBe(200);
    expect(winner.body.data!.removeMember).toEqual({ userId: loserId, deletedApiKeyIds: [] });
    // The loser's session is checked again inside its own transaction: its membership is gone.
    expectUnauthenticated(loser, 'INVALID_SESSION');
    const owners = await t.dataSource.query("SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'OWNER'", [org.org.id]);
    expect(owners).toEqual([{ user_id: winnerId }]);
    expect(await auditCount(org.org.id)).toBe(before + 1);
  });
});

/** A session for a user who was added through the API (the harness only signs tokens). */
async function sessionFor(userId: string, orgId: string): Promise<Pick<Member, 'token'>> {
  return { token: await t.sessions.sign({ userId, orgId }) };
}

/**
 * Holds a lock on every membership row of `orgId` from a separate connection until `waiters`
 * requests are blocked on it, then releases it: the requests then race inside their transactions
 * deterministically, as two simultaneous clicks would.
 */
async function whileMembershipsLocked<T>(orgId: string, waiters: number, run: () => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM memberships WHERE org_id = $1 FOR UPDATE', [orgId]);
    const running = run();
    for (let i = 0; ; i++) {
      // pg_stat_activity is a snapshot per transaction: clear it so each poll sees the present.
      await client.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (rows[0].n >= waiters) break;
      if (i > 250) throw new Error('the requests never queued on the membership lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.query('COMMIT');
    return await running;
  } finally {
    await client.end();
  }
}
