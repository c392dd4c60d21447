import { ALL_PERMISSIONS, maskFromScopes } from '../support/access';
import { Role } from '../../src/kernel/access';
import {
  AddMemberDocument,
  AuditLogDocument,
  AuditLogPageDocument,
  CreateApiKeyDocument,
  CreateApiKeySecretDocument,
  DeleteApiKeyDocument,
  RemoveMemberDocument,
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  SetApiKeyStatusDocument,
  UpdateApiKeyDocument,
  UpdateMemberRoleDocument,
  ViewerDocument,
  ViewerPrincipalDocument,
  type AuditLogQuery,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal } from '../support/expect';
import { TestApp, type Auth } from '../support/harness';

type AuditNode = AuditLogQuery['auditLog']['nodes'][number];

let t: TestApp;
let other: Awaited<ReturnType<TestApp['createOtherOrganization']>>;
/** The bootstrap key as an audit actor: its id and `bootstrap (sk_live_xxxx)`. */
let rootActor: { kind: 'API_KEY'; id: string; name: string };
let ownerActor: { kind: 'USER'; id: string; name: string };

beforeAll(async () => {
  t = await TestApp.create();
  other = await t.createOtherOrganization('Far Away');
  const viewer = expectOk(await t.gql(ViewerDocument)).viewer;
  rootActor = { kind: 'API_KEY', id: viewer.apiKey!.id, name: `bootstrap (${t.rootKey.slice(0, 12)})` };
  ownerActor = { kind: 'USER', id: t.owner.userId, name: 'owner@acme.test' };
});
afterAll(() => t.close());

/** Separate transactions a few ms apart, so "newest first" has one right answer (timestamps are ms). */
const tick = () => new Promise((r) => setTimeout(r, 3));

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function eventIds(orgId = t.org.id): Promise<Set<string>> {
  const rows: { id: string }[] = await t.dataSource.query('SELECT id FROM audit_events WHERE org_id = $1', [orgId]);
  return new Set(rows.map((r) => r.id));
}

async function counts(orgId = t.org.id): Promise<{ audit: number; outbox: number }> {
  const [row] = await t.dataSource.query(
    `SELECT (SELECT count(*)::int FROM audit_events WHERE org_id = $1) AS audit,
            (SELECT count(*)::int FROM webhook_events WHERE org_id = $1) AS outbox`,
    [orgId],
  );
  return row;
}

/**
 * Runs `change` and returns the one audit event it wrote, read back through `auditLog` (where, being
 * the newest, it must come first).
 */
async function onlyEventOf<T>(change: () => Promise<T>): Promise<{ event: AuditNode; result: T }> {
  const before = await eventIds();
  await tick();
  const result = await change();
  const fresh = [...(await eventIds())].filter((id) => !before.has(id));
  expect(fresh).toHaveLength(1);
  const [newest] = expectOk(await t.gql(AuditLogDocument, { first: 1 })).auditLog.nodes;
  expect(newest.id).toBe(fresh[0]);
  return { event: newest, result };
}

/** Every request of these tests comes from the harness: loopback address, `keygate-tests` agent. */
const fromHarness = { ip: '127.0.0.1', userAgent: 'keygate-tests' };

describe('each key change writes exactly one event, in the same transaction', () => {
  it('API_KEY_CREATED: actor is the calling key as "name (prefix)", with target, metadata, ip and user agent', async () => {
    const { event, result } = await onlyEventOf(() =>
      t.gql(CreateApiKeyDocument, {
        input: { name: 'ci deploy', permissions: { stats: ['read'], shortLinks: ['read', 'create'] }, expiresInDays: 30 },
      }),
    );
    const created = expectOk(result).createApiKey.apiKey;
    expect(event).toEqual({
      id: expect.any(String),
      action: 'API_KEY_CREATED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: created.id,
      targetName: 'ci deploy',
      metadata: {
        type: 'BOT',
        prefix: created.prefix,
        scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read'],
        expiresAt: created.expiresAt,
      },
      ...fromHarness,
      createdAt: expect.stringMatching(ISO),
    });
    expect(Math.abs(new Date(event.createdAt).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('API_KEY_CREATED by a session: actor is the user, by email; a USER key is recorded as such', async () => {
    const { event, result } = await onlyEventOf(() =>
      t.gql(
        CreateApiKeyDocument,
        {
          input: {
            name: 'owner laptop',
            type: 'USER',
            permissions: { apiKeys: ['create', 'read', 'update', 'delete'], members: ['read'] },
          },
        },
        { token: t.owner.token },
      ),
    );
    const created = expectOk(result).createApiKey.apiKey;
    expect(event).toMatchObject({
      action: 'API_KEY_CREATED',
      actor: ownerActor,
      targetId: created.id,
      targetName: 'owner laptop',
      metadata: {
        type: 'USER',
        prefix: created.prefix,
        scopes: ['apiKeys:create', 'apiKeys:read', 'apiKeys:update', 'apiKeys:delete', 'members:read'],
        expiresAt: null,
      },
      ...fromHarness,
    });
  });

  it('a USER key acting: the actor is that key, "keyname (sk_live_xxxx)", not its owner', async () => {
    const owners = await t.createKey(ALL_PERMISSIONS, {
      type: 'USER' as never,
      name: 'shadow',
      by: await t.addMember('shadow-admin@acme.test', Role.ADMIN),
    });
    const { event } = await onlyEventOf(() =>
      t.gql(CreateApiKeyDocument, { input: { name: 'made by a user key', permissions: {} } }, { key: owners.secret }),
    );
    expect(event.actor).toEqual({ kind: 'API_KEY', id: owners.id, name: `shadow (${owners.secret.slice(0, 12)})` });
    expect(event.actor.name).toMatch(/^shadow \(sk_live_[0-9a-f]{4}\)$/);
  });

  it('API_KEY_ROTATED: previous and new prefix, grace period and when the old secret ends', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'rotated' });
    const { event, result } = await onlyEventOf(() => t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: 3600 }));
    const rotated = expectOk(result).rotateApiKey;
    expect(event).toMatchObject({
      action: 'API_KEY_ROTATED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'rotated',
      ...fromHarness,
    });
    expect(event.metadata).toEqual({
      gracePeriodSeconds: 3600,
      previousPrefix: key.secret.slice(0, 12),
      prefix: rotated.secret.slice(0, 12),
      previousSecretEndsAt: expect.stringMatching(ISO),
    });
    const endsAt = new Date((event.metadata as { previousSecretEndsAt: string }).previousSecretEndsAt).getTime();
    expect(Math.abs(endsAt - (Date.now() + 3600_000))).toBeLessThan(60_000);

    // A key's later events name it by its current prefix.
    const rotatedActor = await t.createKey(ALL_PERMISSIONS & ~maskFromScopes(['members:create']), { name: 'self rotating' });
    const again = expectOk(await t.gql(RotateApiKeyDocument, { id: rotatedActor.id })).rotateApiKey;
    const { event: next } = await onlyEventOf(() =>
      t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }, { key: again.secret }),
    );
    expect(next.actor).toEqual({ kind: 'API_KEY', id: rotatedActor.id, name: `self rotating (${again.secret.slice(0, 12)})` });
  });

  it('API_KEY_UPDATED: metadata.permissions {added, removed} in catalog order, metadata.name {from, to}; no change, no event', async () => {
    const key = await t.createKey({ stats: ['read'], domains: ['read'] }, { name: 'to update' });
    const perms = await onlyEventOf(() =>
      t.gql(UpdateApiKeyDocument, { id: key.id, input: { permissions: { stats: ['read'], files: ['update'], shortLinks: ['read'] } } }),
    );
    expectOk(perms.result);
    expect(perms.event).toMatchObject({
      action: 'API_KEY_UPDATED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'to update',
      ...fromHarness,
    });
    expect(perms.event.metadata).toEqual({ permissions: { added: ['shortLinks:read', 'files:update'], removed: ['domains:read'] } });

    const renamed = await onlyEventOf(() =>
      t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'updated' } }, { token: t.owner.token }),
    );
    expect(renamed.event).toMatchObject({ action: 'API_KEY_UPDATED', actor: ownerActor, targetName: 'updated' });
    expect(renamed.event.metadata).toEqual({ name: { from: 'to update', to: 'updated' } });

    const both = await onlyEventOf(() => t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'updated twice', permissions: {} } }));
    expect(both.event.metadata).toEqual({
      name: { from: 'updated', to: 'updated twice' },
      permissions: { added: [], removed: ['shortLinks:read', 'stats:read', 'files:update'] },
    });

    const before = await counts();
    expectOk(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'updated twice', permissions: {} } }));
    expect(await counts()).toEqual(before);
  });

  it('API_KEY_DISABLED and API_KEY_ENABLED, without metadata; toggling to the current status is refused and writes nothing', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'toggled' });
    const off = await onlyEventOf(() => t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }));
    expect(off.event).toMatchObject({
      action: 'API_KEY_DISABLED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'toggled',
      metadata: null,
      ...fromHarness,
    });
    const before = await counts();
    expectError(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'INACTIVE' }), 'CONFLICT', 200);
    expect(await counts()).toEqual(before);
    const on = await onlyEventOf(() => t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'ACTIVE' }, { token: t.owner.token }));
    expect(on.event).toMatchObject({ action: 'API_KEY_ENABLED', actor: ownerActor, targetId: key.id, metadata: null });
  });

  it('API_KEY_REVOKED: reason and prefix; revoking again is refused and writes nothing', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'leaky' });
    const { event } = await onlyEventOf(() => t.gql(RevokeApiKeyDocument, { id: key.id, reason: '  pasted in a public gist ' }));
    expect(event).toMatchObject({
      action: 'API_KEY_REVOKED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'leaky',
      ...fromHarness,
    });
    expect(event.metadata).toEqual({ reason: 'pasted in a public gist', prefix: key.secret.slice(0, 12) });
    const before = await counts();
    expectError(await t.gql(RevokeApiKeyDocument, { id: key.id, reason: 'again' }), 'CONFLICT', 200);
    expect(await counts()).toEqual(before);

    const quiet = await t.createKey({ stats: ['read'] }, { name: 'no reason' });
    expect((await onlyEventOf(() => t.gql(RevokeApiKeyDocument, { id: quiet.id }))).event.metadata).toEqual({
      reason: null,
      prefix: quiet.secret.slice(0, 12),
    });
  });

  it('API_KEY_DELETED: name and prefix survive in the log after the key is gone', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'doomed' });
    const { event } = await onlyEventOf(() => t.gql(DeleteApiKeyDocument, { id: key.id }));
    expect(event).toMatchObject({
      action: 'API_KEY_DELETED',
      actor: rootActor,
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'doomed',
      ...fromHarness,
    });
    expect(event.metadata).toEqual({ prefix: key.secret.slice(0, 12), type: 'BOT' });
    const history = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: key.id } })).auditLog;
    expect(history.nodes.map((n) => [n.action, n.targetName])).toEqual([
      ['API_KEY_DELETED', 'doomed'],
      ['API_KEY_CREATED', 'doomed'],
    ]);
  });
});

describe('each membership change writes exactly one event', () => {
  it('MEMBER_ADDED {role}, MEMBER_ROLE_CHANGED {from, to}, MEMBER_REMOVED {role, deletedApiKeyIds}', async () => {
    const added = await onlyEventOf(() =>
      t.gql(AddMemberDocument, { email: 'Audited@Acme.test', role: 'MEMBER' }, { token: t.owner.token }),
    );
    const userId = expectOk(added.result).addMember.user.id;
    expect(added.event).toEqual({
      id: expect.any(String),
      action: 'MEMBER_ADDED',
      actor: ownerActor,
      targetType: 'MEMBER',
      targetId: userId,
      targetName: 'audited@acme.test',
      metadata: { role: 'MEMBER' },
      ...fromHarness,
      createdAt: expect.stringMatching(ISO),
    });

    const changed = await onlyEventOf(() => t.gql(UpdateMemberRoleDocument, { userId, role: 'ADMIN' }));
    expect(changed.event).toMatchObject({
      action: 'MEMBER_ROLE_CHANGED',
      actor: rootActor,
      targetType: 'MEMBER',
      targetId: userId,
      targetName: 'audited@acme.test',
      ...fromHarness,
    });
    expect(changed.event.metadata).toEqual({ from: 'MEMBER', to: 'ADMIN' });

    const removed = await onlyEventOf(() => t.gql(RemoveMemberDocument, { userId }));
    expect(removed.event).toMatchObject({
      action: 'MEMBER_REMOVED',
      actor: rootActor,
      targetType: 'MEMBER',
      targetId: userId,
      targetName: 'audited@acme.test',
      ...fromHarness,
    });
    expect(removed.event.metadata).toEqual({ role: 'ADMIN', deletedApiKeyIds: [] });
  });

  it('removing a member with a USER key: one API_KEY_DELETED for the key and one MEMBER_REMOVED, nothing else', async () => {
    const admin = await t.addMember('with-key@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin, name: 'personal' });
    const before = await eventIds();
    expectOk(await t.gql(RemoveMemberDocument, { userId: admin.userId }));
    const fresh = [...(await eventIds())].filter((id) => !before.has(id));
    expect(fresh).toHaveLength(2);
    const nodes = expectOk(await t.gql(AuditLogDocument, { first: 2 })).auditLog.nodes;
    expect(nodes.map((n) => n.id).sort()).toEqual(fresh.sort());
    const byAction = Object.fromEntries(nodes.map((n) => [n.action, n]));
    expect(Object.keys(byAction).sort()).toEqual(['API_KEY_DELETED', 'MEMBER_REMOVED']);
    expect(byAction.API_KEY_DELETED).toMatchObject({
      actor: rootActor,
      targetId: key.id,
      targetName: 'personal',
      metadata: { prefix: key.secret.slice(0, 12), type: 'USER', cause: 'MEMBER_REMOVED' },
    });
    expect(byAction.MEMBER_REMOVED).toMatchObject({ targetId: admin.userId, metadata: { role: 'ADMIN', deletedApiKeyIds: [key.id] } });
    // One transaction: both rows carry the same timestamp.
    expect(byAction.API_KEY_DELETED.createdAt).toBe(byAction.MEMBER_REMOVED.createdAt);
  });
});

describe('a change that fails writes no event', () => {
  it('CONFLICT, FORBIDDEN, NOT_FOUND and BAD_USER_INPUT mutations leave the audit log (and its webhook outbox) untouched', async () => {
    const existing = await t.addMember('exists@acme.test', Role.MEMBER);
    const revoked = await t.createKey({ stats: ['read'] });
    await t.app.services.apiKeys.revoke(t.owner.caller, revoked.id, null);
    const narrow = await t.createKey({ apiKeys: ['create', 'update'], stats: ['read'] });
    const admin = await t.addMember('keyed-admin@acme.test', Role.ADMIN);
    await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: admin });
    const before = await counts();

    expectError(await t.gql(AddMemberDocument, { email: 'EXISTS@acme.test', role: 'ADMIN' }), 'CONFLICT', 200);
    expectRuleRefusal(await t.gql(AddMemberDocument, { email: 'brand-new@acme.test', role: 'OWNER' }), 'OWNER_ONLY');
    expectError(await t.gql(AddMemberDocument, { email: 'broken', role: 'VIEWER' }), 'BAD_USER_INPUT', 400);
    expectError(
      await t.gql(UpdateMemberRoleDocument, { userId: t.owner.userId, role: 'ADMIN' }, { token: t.owner.token }),
      'CONFLICT',
      200,
    );
    expectError(await t.gql(UpdateMemberRoleDocument, { userId: other.owner.userId, role: 'ADMIN' }), 'NOT_FOUND', 200);
    expectError(await t.gql(RemoveMemberDocument, { userId: t.owner.userId }, { token: t.owner.token }), 'CONFLICT', 200);
    expectError(await t.gql(RotateApiKeyDocument, { id: revoked.id }), 'CONFLICT', 200);
    expectError(await t.gql(UpdateApiKeyDocument, { id: revoked.id, input: { name: 'x' } }), 'CONFLICT', 200);
    expectError(await t.gql(SetApiKeyStatusDocument, { id: revoked.id, status: 'ACTIVE' }), 'CONFLICT', 200);
    expectError(
      await t.gql(CreateApiKeyDocument, { input: { name: 'second', type: 'USER', permissions: {} } }, { token: admin.token }),
      'CONFLICT',
      200,
    );
    // Refused up front (the payload reads keys and their owners), and refused in the resolver (no escalation).
    expectForbidden(
      await t.gql(CreateApiKeyDocument, { input: { name: 'wider', permissions: { shortLinks: ['read'] } } }, { key: narrow.secret }),
      ['apiKeys:read', 'members:read'],
    );
    expectRuleRefusal(
      await t.gql(CreateApiKeySecretDocument, { input: { name: 'wider', permissions: { shortLinks: ['read'] } } }, { key: narrow.secret }),
      'NO_ESCALATION',
      ['shortLinks:read'],
    );
    expectError(await t.gql(CreateApiKeyDocument, { input: { name: '   ', permissions: {} } }), 'BAD_USER_INPUT', 400);
    expectError(await t.gql(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND', 200);
    expectError(await t.gql(RevokeApiKeyDocument, { id: revoked.id, reason: 'r'.repeat(501) }), 'BAD_USER_INPUT', 400);
    expectError(await t.gql(DeleteApiKeyDocument, { id: 'nope' }), 'NOT_FOUND', 200);

    expect(await counts()).toEqual(before);
    expect(
      await t.dataSource.query('SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2', [t.org.id, existing.userId]),
    ).toEqual([{ role: 'MEMBER' }]);
    expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['brand-new@acme.test'])).toEqual([]);
  });

  it('when the audit row cannot be written, the change it describes rolls back too', async () => {
    // Make PostgreSQL refuse audit rows for one target name, as a full disk or a constraint would.
    await t.dataSource.query(`
      CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.target_name LIKE 'audit-refused%' THEN RAISE EXCEPTION 'audit refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit();`);
    try {
      const key = await t.createKey({ stats: ['read'] }, { name: 'stable name' });
      const before = await counts();

      const created = await t.gql(CreateApiKeyDocument, { input: { name: 'audit-refused key', permissions: {} } });
      expectError(created, 'INTERNAL_SERVER_ERROR', 500);
      expect(JSON.stringify(created.body)).not.toMatch(/audit refused|INSERT|audit_events/);
      expect(await t.dataSource.query('SELECT id FROM api_keys WHERE name = $1', ['audit-refused key'])).toEqual([]);

      expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'audit-refused rename' } }), 'INTERNAL_SERVER_ERROR', 500);
      expect(await t.dataSource.query('SELECT name FROM api_keys WHERE id = $1', [key.id])).toEqual([{ name: 'stable name' }]);

      expectError(await t.gql(AddMemberDocument, { email: 'audit-refused@acme.test', role: 'VIEWER' }), 'INTERNAL_SERVER_ERROR', 500);
      expect(await t.dataSource.query('SELECT id FROM users WHERE email = $1', ['audit-refused@acme.test'])).toEqual([]);

      const leaver = await t.addMember('audit-refused-leaver@acme.test', Role.ADMIN);
      const leaverKey = await t.createKey({ stats: ['read'] }, { type: 'USER' as never, by: leaver });
      expectError(await t.gql(RemoveMemberDocument, { userId: leaver.userId }), 'INTERNAL_SERVER_ERROR', 500);
      expect(
        await t.dataSource.query('SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2', [t.org.id, leaver.userId]),
      ).toEqual([{ role: 'ADMIN' }]);
      expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: leaverKey.secret }));

      const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [t.org.id]);
      // Only the leaver's key creation (through the service, a different target name) got through.
      expect(n).toBe(before.audit + 1);
    } finally {
      await t.dataSource.query('DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit();');
    }
  });
});

describe('reading the log', () => {
  it('newest first; pages of `first` with opaque cursors that never skip or repeat an event; totalCount is the whole match', async () => {
    const [{ now: since }] = await t.dataSource.query('SELECT clock_timestamp() AS now');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      await tick();
      ids.push((await t.createKey({}, { name: `paged ${i}` })).id);
    }
    const filter = { action: 'API_KEY_CREATED', since: (since as Date).toISOString() };

    const seen: string[] = [];
    const pages: { size: number; hasNextPage: boolean; totalCount: number }[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof fetchPage>> = await fetchPage(after);
      pages.push({ size: page.edges.length, hasNextPage: page.pageInfo.hasNextPage, totalCount: page.totalCount });
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...page.edges.map((e) => e.node.targetId!));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages).toEqual([
      { size: 2, hasNextPage: true, totalCount: 5 },
      { size: 2, hasNextPage: true, totalCount: 5 },
      { size: 1, hasNextPage: false, totalCount: 5 },
    ]);
    expect(seen).toEqual([...ids].reverse());

    async function fetchPage(cursor: string | null) {
      return expectOk(await t.gql(AuditLogPageDocument, { first: 2, after: cursor, filter })).auditLog;
    }
  });

  it('the whole log is ordered newest first (createdAt, then id) and defaults to 50 per page', async () => {
    for (let i = 0; i < 3; i++) await t.createKey({}, { name: `bulk ${i}` });
    const full = expectOk(await t.gql(AuditLogPageDocument, {})).auditLog;
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE org_id = $1', [t.org.id]);
    expect(full.totalCount).toBe(n);
    expect(full.edges).toHaveLength(Math.min(50, n));
    expect(full.pageInfo.hasNextPage).toBe(n > 50);
    const expected: { id: string }[] = await t.dataSource.query(
      'SELECT id FROM audit_events WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50',
      [t.org.id],
    );
    expect(full.edges.map((e) => e.node.id)).toEqual(expected.map((r) => r.id));
  });

  it('a cursor is stable: events written after a page was read do not shift the next page', async () => {
    const [{ now: since }] = await t.dataSource.query('SELECT clock_timestamp() AS now');
    const first = await t.createKey({}, { name: 'stable 0' });
    await tick();
    const second = await t.createKey({}, { name: 'stable 1' });
    const filter = { action: 'API_KEY_CREATED', since: (since as Date).toISOString() };
    const page1 = expectOk(await t.gql(AuditLogPageDocument, { first: 1, filter })).auditLog;
    expect(page1.edges.map((e) => e.node.targetId)).toEqual([second.id]);
    await tick();
    await t.createKey({}, { name: 'stable 2' });
    const page2 = expectOk(await t.gql(AuditLogPageDocument, { first: 1, after: page1.pageInfo.endCursor, filter })).auditLog;
    expect(page2.edges.map((e) => e.node.targetId)).toEqual([first.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(page2.totalCount).toBe(3);
  });

  it('bad paging input: first outside 1..100 and a forged cursor are BAD_USER_INPUT with the field named', async () => {
    for (const first of [0, -1, 101]) {
      expect(expectError(await t.gql(AuditLogDocument, { first }), 'BAD_USER_INPUT', 400).fields).toEqual({
        first: 'first must be between 1 and 100.',
      });
    }
    for (const after of ['not-a-cursor', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(expectError(await t.gql(AuditLogDocument, { after }), 'BAD_USER_INPUT', 400).fields).toEqual({
        after: 'Invalid cursor: pass an endCursor from a previous page.',
      });
    }
    expect(expectError(await t.gql(AuditLogDocument, { filter: { targetId: 'x' } }), 'BAD_USER_INPUT', 400).fields).toEqual({
      'filter.targetId': 'targetId must be an ID.',
    });
  });

  it('filters: action, targetId and since, alone and combined', async () => {
    const [{ now: since }] = await t.dataSource.query('SELECT clock_timestamp() AS now');
    const key = await t.createKey({ stats: ['read'] }, { name: 'filtered' });
    await tick();
    await t.app.services.apiKeys.setStatus(t.owner.caller, key.id, 'INACTIVE' as never);
    await tick();
    await t.app.services.apiKeys.setStatus(t.owner.caller, key.id, 'ACTIVE' as never);
    await tick();
    const decoy = await t.createKey({ stats: ['read'] }, { name: 'decoy' });
    await tick();
    await t.app.services.apiKeys.setStatus(t.owner.caller, decoy.id, 'INACTIVE' as never);

    const list = async (filter: Record<string, string>) =>
      expectOk(await t.gql(AuditLogDocument, { first: 100, filter })).auditLog.nodes.map((n) => [n.action, n.targetId]);

    expect(await list({ targetId: key.id })).toEqual([
      ['API_KEY_ENABLED', key.id],
      ['API_KEY_DISABLED', key.id],
      ['API_KEY_CREATED', key.id],
    ]);
    expect(await list({ action: 'API_KEY_DISABLED', since: (since as Date).toISOString() })).toEqual([
      ['API_KEY_DISABLED', decoy.id],
      ['API_KEY_DISABLED', key.id],
    ]);
    expect(await list({ action: 'API_KEY_DISABLED', targetId: key.id })).toEqual([['API_KEY_DISABLED', key.id]]);
    expect(await list({ since: (since as Date).toISOString() })).toEqual([
      ['API_KEY_DISABLED', decoy.id],
      ['API_KEY_CREATED', decoy.id],
      ['API_KEY_ENABLED', key.id],
      ['API_KEY_DISABLED', key.id],
      ['API_KEY_CREATED', key.id],
    ]);
    // `since` is inclusive: an event's own createdAt finds it.
    const [enabled] = expectOk(await t.gql(AuditLogDocument, { filter: { targetId: key.id, action: 'API_KEY_ENABLED' } })).auditLog.nodes;
    expect(await list({ targetId: key.id, since: enabled.createdAt })).toEqual([['API_KEY_ENABLED', key.id]]);
    expect(await list({ since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await list({ action: 'NO_SUCH_ACTION' })).toEqual([]);
    expect(await list({ targetId: '00000000-0000-4000-8000-000000000000' })).toEqual([]);
  });
});

describe('security', () => {
  it('other organizations’ events are invisible, even by their target id; each organization sees exactly its own', async () => {
    const theirKey = await t.createKey({ stats: ['read'] }, { name: 'theirs', by: other.owner });
    await tick();
    await t.app.services.apiKeys.revoke(other.owner.caller, theirKey.id, 'theirs');
    expect(expectOk(await t.gql(AuditLogDocument, { filter: { targetId: theirKey.id } })).auditLog).toMatchObject({
      totalCount: 0,
      nodes: [],
    });
    expect(
      expectOk(await t.gql(AuditLogDocument, { filter: { targetId: theirKey.id } }, { key: other.rootKey })).auditLog.nodes.map(
        (n) => n.action,
      ),
    ).toEqual(['API_KEY_REVOKED', 'API_KEY_CREATED']);

    for (const [org, key] of [
      [t.org.id, t.rootKey],
      [other.org.id, other.rootKey],
    ] as const) {
      const seen = expectOk(await t.gql(AuditLogDocument, { first: 100 }, { key })).auditLog;
      const own: { id: string }[] = await t.dataSource.query(
        'SELECT id FROM audit_events WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100',
        [org],
      );
      expect(seen.nodes.map((n) => n.id)).toEqual(own.map((r) => r.id));
      expect(seen.totalCount).toBe((await counts(org)).audit);
    }
  });

  it('auditLog needs apiKeys:read: from a key holding everything else, and from MEMBER/VIEWER sessions', async () => {
    const noRead = await t.createKey(ALL_PERMISSIONS & ~maskFromScopes(['apiKeys:read']));
    expectForbidden(await t.gql(AuditLogDocument, {}, { key: noRead.secret }), 'apiKeys:read');
    for (const role of [Role.MEMBER, Role.VIEWER]) {
      const m = await t.addMember(`log-${role.toLowerCase()}@acme.test`, role);
      expectForbidden(await t.gql(AuditLogDocument, {}, { token: m.token }), 'apiKeys:read');
    }
    const readOnly = await t.createKey({ apiKeys: ['read'] });
    const admin = await t.addMember('log-admin@acme.test', Role.ADMIN);
    for (const auth of [{ key: readOnly.secret }, { token: admin.token }, { token: t.owner.token }] as Auth[]) {
      expect(expectOk(await t.gql(AuditLogDocument, { first: 1 }, auth)).auditLog.nodes).toHaveLength(1);
    }
  });
});
