import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyDocument,
  ApiKeyPageDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateApiKeyGrantDocument,
  DeleteApiKeyDocument,
  RevokeApiKeyBareDocument,
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  SetApiKeyStatusDocument,
  UpdateApiKeyDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import type { Auth, OtherOrganization, TestApp } from '../support/harness';
import { allBut, apiKeySuite, auditOf, countAudit, expectNear, MISSING_ID, rootKeyId, works } from './helpers';

let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const revoke = (id: string, reason?: string | null, auth: Auth = { key: t.rootKey }) =>
  t.gql(RevokeApiKeyDocument, reason === undefined ? { id } : { id, reason }, auth);
const remove = (id: string, auth: Auth = { key: t.rootKey }) => t.gql(DeleteApiKeyDocument, { id }, auth);
const lookup = async (id: string) => expectOk(await t.gql(ApiKeyDocument, { id })).apiKey;
/** Selects nothing of the key: needs apiKeys:delete and nothing else (ApiKey itself needs apiKeys:read). */
const revokeBare = (id: string, reason: string | null, auth: Auth) => t.gql(RevokeApiKeyBareDocument, { id, reason }, auth);
const listed = async (search: string) => {
  const conn = expectOk(await t.gql(ApiKeyPageDocument, { first: 100, filter: { search } })).apiKeys;
  return { ids: conn.nodes.map((n) => n.id).sort(), totalCount: conn.totalCount };
};
const prefixOf = async (id: string): Promise<string> =>
  (await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [id]))[0].prefix;

describe('revokeApiKey', () => {
  it('revokes at once: REVOKED on the very next request; reason (trimmed), revokedAt and revokedBy are recorded', async () => {
    const root = await rootKeyId(t);
    const key = await t.createKey({ stats: ['read'] }, { name: 'leaky' });
    await works(t, key.secret);
    const revokedAt = Date.now();
    const revoked = expectOk(await revoke(key.id, '  leaked in a CI log  ')).revokeApiKey;
    expect(revoked).toMatchObject({
      id: key.id,
      name: 'leaky',
      status: 'REVOKED',
      revokedReason: 'leaked in a CI log',
      revokedBy: { kind: 'API_KEY', id: root.id, name: expect.stringMatching(/^bootstrap \(sk_live_[0-9a-f]{4}\)$/) },
    });
    expectNear(revoked.revokedAt, revokedAt, 10_000);
    expect(await lookup(key.id)).toEqual(revoked);
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
  });

  it('revokedBy is the signed-in user when a person revokes', async () => {
    const admin = await t.addMember('revoker@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked by a person' });
    const revoked = expectOk(await revoke(key.id, 'rotated out', { token: admin.token })).revokeApiKey;
    expect(revoked.revokedBy).toEqual({ kind: 'USER', id: admin.userId, name: 'revoker@acme.test' });
  });

  it('records API_KEY_REVOKED with the reason and prefix', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'audited revocation' });
    expectOk(await revoke(key.id, 'audit me'));
    const events = await auditOf(t, key.id, 'API_KEY_REVOKED');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      targetType: 'API_KEY',
      targetName: 'audited revocation',
      actor: { kind: 'API_KEY' },
      metadata: { reason: 'audit me', prefix: await prefixOf(key.id) },
    });
  });

  it.each([
    ['omitted', undefined],
    ['null', null],
    ['blank', '    '],
  ])('the reason is optional (%s → null)', async (_case, reason) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `no reason ${_case}` });
    const revoked = expectOk(await revoke(key.id, reason)).revokeApiKey;
    expect(revoked).toMatchObject({ status: 'REVOKED', revokedReason: null });
  });

  it('a reason of exactly 500 characters is kept', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'long reason' });
    expect(expectOk(await revoke(key.id, 'r'.repeat(500))).revokeApiKey.revokedReason).toBe('r'.repeat(500));
  });

  it('revoking again (by someone else, with another reason) is refused: CONFLICT ALREADY_REVOKED; the first record stands, audited once', async () => {
    const admin = await t.addMember('second-revoker@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked twice' });
    const first = expectOk(await revoke(key.id, 'first reason')).revokeApiKey;
    const second = await revoke(key.id, 'second reason', { token: admin.token });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      data: null,
      errors: [
        {
          message: 'The key is already revoked; revocation is permanent.',
          locations: expect.any(Array),
          path: ['revokeApiKey'],
          extensions: { code: 'CONFLICT', rule: 'ALREADY_REVOKED' },
        },
      ],
    });
    expect(await lookup(key.id)).toEqual(first);
    expect(first).toMatchObject({ revokedReason: 'first reason', revokedBy: { kind: 'API_KEY' } });
    expect(await auditOf(t, key.id, 'API_KEY_REVOKED')).toHaveLength(1);
  });

  it('ends every secret, including an old one still within a rotation grace period', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked in grace' });
    const rotated = expectOk(await t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: 3600 })).rotateApiKey;
    await works(t, key.secret);
    await works(t, rotated.secret);
    expectOk(await revoke(key.id, 'both must stop'));
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: rotated.secret }), 'REVOKED');
  });

  it('a key with apiKeys:delete may revoke itself; it is refused from its next request on', async () => {
    const self = await t.createKey({ apiKeys: ['delete'] }, { name: 'self revoker' });
    expect(expectOk(await revokeBare(self.id, 'retiring', { key: self.secret })).revokeApiKey).toEqual({ __typename: 'ApiKey' });
    const revoked = await lookup(self.id);
    expect(revoked).toMatchObject({ status: 'REVOKED', revokedReason: 'retiring' });
    expect(revoked!.revokedBy).toMatchObject({ kind: 'API_KEY', id: self.id, name: expect.stringMatching(/^self revoker \(sk_live_/) });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: self.secret }), 'REVOKED');
  });

  it('a revoked key stays listed (status REVOKED) and cannot be brought back', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'stays listed revoked' });
    expectOk(await revoke(key.id));
    const conn = expectOk(await t.gql(ApiKeyPageDocument, { first: 10, filter: { search: 'stays listed revoked' } })).apiKeys;
    expect(conn.nodes.map((n) => [n.id, n.status])).toEqual([[key.id, 'REVOKED']]);
    expectError(await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'ACTIVE' }), 'CONFLICT', 200);
    expectError(await t.gql(RotateApiKeyDocument, { id: key.id }), 'CONFLICT', 200);
    expectError(await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'revived' } }), 'CONFLICT', 200);
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
  });

  it('a revoked USER key frees its owner to create a new one', async () => {
    const admin = await t.addMember('fresh-start@acme.test', Role.ADMIN);
    const old = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: admin, name: 'old user key' });
    expectOk(await revoke(old.id, 'replaced'));
    const res = await t.gql(
      CreateApiKeyDocument,
      { input: { name: 'new user key', type: 'USER', permissions: { stats: ['read'] } } },
      { token: admin.token },
    );
    expect(expectOk(res).createApiKey.apiKey.owner?.id).toBe(admin.userId);
  });

  describe('bad input', () => {
    it('a reason over 500 characters is BAD_USER_INPUT on `reason`; the key is not revoked', async () => {
      const key = await t.createKey({ stats: ['read'] }, { name: 'reason too long' });
      const res = await revoke(key.id, 'r'.repeat(501));
      expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({ reason: 'reason is at most 500 characters.' });
      expect((await lookup(key.id))?.status).toBe('ACTIVE');
      await works(t, key.secret);
    });

    it('a reason containing a NUL character is BAD_USER_INPUT on `reason`, not an internal error; the key is not revoked', async () => {
      const key = await t.createKey({ stats: ['read'] }, { name: 'reason with nul' });
      const res = await revoke(key.id, 'bad\u0000reason');
      expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toHaveProperty(['reason']);
      expect((await lookup(key.id))?.status).toBe('ACTIVE');
    });

    it.each([
      ['a nonexistent id', MISSING_ID],
      ['a malformed id', 'drop table api_keys'],
    ])('%s is NOT_FOUND (200)', async (_case, id) => {
      const res = await revoke(id, 'x');
      expectError(res, 'NOT_FOUND', 200);
      expect(res.body.errors![0].message).toBe('API key not found.');
    });
  });

  describe('security', () => {
    it('needs apiKeys:delete: a key holding everything else is FORBIDDEN; the target keeps working', async () => {
      const target = await t.createKey({ stats: ['read'] }, { name: 'revoke target' });
      const caller = await t.createKey(allBut('apiKeys', 'delete'), { name: 'all but delete' });
      expectForbidden(await revoke(target.id, 'no', { key: caller.secret }), 'apiKeys:delete');
      expect((await lookup(target.id))?.status).toBe('ACTIVE');
      await works(t, target.secret);
    });

    it('a key that reads keys but may not delete them or read members: revoke and delete need apiKeys:delete, the full revoke members:read too', async () => {
      const target = await t.createKey({ stats: ['read'] }, { name: 'revoke target 2' });
      const reader = await t.createKey({ apiKeys: ['read', 'create'] }, { name: 'key reader (revoke)' });
      expectForbidden(await t.gql(RevokeApiKeyBareDocument, { id: target.id }, { key: reader.secret }), 'apiKeys:delete');
      expectForbidden(await remove(target.id, { key: reader.secret }), 'apiKeys:delete');
      // RevokeApiKey also reads the key's owner, which needs members:read: both are missing.
      expectForbidden(await revoke(target.id, undefined, { key: reader.secret }), ['apiKeys:delete', 'members:read']);
      expect((await lookup(target.id))?.status).toBe('ACTIVE');
      await works(t, target.secret);
    });

    it.each([Role.MEMBER, Role.VIEWER])('a signed-in %s cannot revoke', async (role) => {
      const member = await t.addMember(`revoker-${role.toLowerCase()}@acme.test`, role);
      const target = await t.createKey({ stats: ['read'] }, { name: `revoke target ${role}` });
      expectForbidden(await revokeBare(target.id, null, { token: member.token }), 'apiKeys:delete');
      // The full document also reads the key and its owner: every missing scope is named, nothing runs.
      const full = await revoke(target.id, null, { token: member.token });
      expectForbidden(full, ['apiKeys:read', 'apiKeys:delete', 'members:read']);
      expect(full.body).not.toHaveProperty('data');
      expect((await lookup(target.id))?.status).toBe('ACTIVE');
      await works(t, target.secret);
    });

    it('another organization’s key id behaves exactly like a nonexistent id: NOT_FOUND; the key keeps working', async () => {
      const target = await t.createKey({ stats: ['read'] }, { name: 'cross-org revoke target' });
      const events = await countAudit(t);
      const foreign = await revoke(target.id, 'hostile', { key: other.rootKey });
      const missing = await revoke(MISSING_ID, 'hostile', { key: other.rootKey });
      expectError(foreign, 'NOT_FOUND', 200);
      expect(foreign.status).toBe(missing.status);
      expect(foreign.body).toEqual(missing.body);
      expect(await lookup(target.id)).toMatchObject({ status: 'ACTIVE', revokedAt: null, revokedReason: null });
      await works(t, target.secret);
      expect(await countAudit(t)).toBe(events);
    });
  });
});

describe('deleteApiKey', () => {
  it('returns the id; the key is gone from apiKeys (and totalCount) and apiKey(id) is null; its secret is refused', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'doomed key' });
    const keep = await t.createKey({ stats: ['read'] }, { name: 'doomed sibling' });
    expect(await listed('doomed')).toEqual({ ids: [keep.id, key.id].sort(), totalCount: 2 });
    const all = expectOk(await t.gql(ApiKeyPageDocument, { first: 1 })).apiKeys.totalCount;
    await works(t, key.secret); // verified (and cached) before the delete

    const res = await remove(key.id);
    expect(expectOk(res).deleteApiKey).toBe(key.id);

    expect(await listed('doomed')).toEqual({ ids: [keep.id], totalCount: 1 });
    expect(expectOk(await t.gql(ApiKeyPageDocument, { first: 1 })).apiKeys.totalCount).toBe(all - 1);
    const lookupRes = await t.gql(ApiKeyDocument, { id: key.id });
    expect(lookupRes.body).toEqual({ data: { apiKey: null } });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
    await works(t, keep.secret);
    for (const status of ['ACTIVE', 'INACTIVE', 'REVOKED', 'EXPIRED'] as const) {
      const conn = expectOk(await t.gql(ApiKeyPageDocument, { first: 100, filter: { status } })).apiKeys;
      expect(conn.nodes.map((n) => n.id)).not.toContain(key.id);
    }
  });

  it('the audit log keeps its name and prefix: API_KEY_DELETED, and the earlier events remain', async () => {
    const root = await rootKeyId(t);
    const key = await t.createKey({ stats: ['read'] }, { name: 'remembered key' });
    const prefix = await prefixOf(key.id);
    expectOk(await remove(key.id));
    const events = await auditOf(t, key.id);
    expect(events.map((e) => e.action).sort()).toEqual(['API_KEY_CREATED', 'API_KEY_DELETED']);
    expect(events.find((e) => e.action === 'API_KEY_DELETED')).toMatchObject({
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'remembered key',
      actor: { kind: 'API_KEY', id: root.id },
      metadata: { prefix, type: 'BOT' },
    });
    expect(events.find((e) => e.action === 'API_KEY_CREATED')).toMatchObject({ targetName: 'remembered key', metadata: { prefix } });
  });

  it('the audit prefix is the current one after a rotation, and every secret of the key is refused', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'rotated then deleted' });
    const rotated = expectOk(await t.gql(RotateApiKeyDocument, { id: key.id, gracePeriodSeconds: 3600 })).rotateApiKey;
    await works(t, key.secret);
    await works(t, rotated.secret);
    expectOk(await remove(key.id));
    const [event] = await auditOf(t, key.id, 'API_KEY_DELETED');
    expect(event.metadata).toEqual({ prefix: rotated.apiKey.prefix, type: 'BOT' });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: rotated.secret }), 'REVOKED');
  });

  it('keys a deleted key created still name it as their creator', async () => {
    // apiKeys:read as well, to read back the key it creates.
    const creator = await t.createKey({ apiKeys: ['create', 'read'], stats: ['read'] }, { name: 'departed creator' });
    const prefix = await prefixOf(creator.id);
    const made = expectOk(
      await t.gql(CreateApiKeyGrantDocument, { input: { name: 'orphan', permissions: { stats: ['read'] } } }, { key: creator.secret }),
    ).createApiKey;
    expectOk(await remove(creator.id));
    expect((await lookup(made.apiKey.id))?.createdBy).toEqual({ kind: 'API_KEY', id: creator.id, name: `departed creator (${prefix})` });
    const log = expectOk(await t.gql(AuditLogDocument, { first: 10, filter: { targetId: made.apiKey.id } })).auditLog.nodes;
    expect(log[0].actor).toEqual({ kind: 'API_KEY', id: creator.id, name: `departed creator (${prefix})` });
  });

  it('a revoked key can be deleted; a USER key’s owner may then create a new one', async () => {
    const admin = await t.addMember('deleter-owner@acme.test', Role.ADMIN);
    const key = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: admin, name: 'revoked then deleted' });
    expectOk(await revoke(key.id, 'first'));
    expect(expectOk(await remove(key.id)).deleteApiKey).toBe(key.id);
    expect(await lookup(key.id)).toBeNull();
    const res = await t.gql(
      CreateApiKeyDocument,
      { input: { name: 'replacement', type: 'USER', permissions: { stats: ['read'] } } },
      { token: admin.token },
    );
    expect(expectOk(res).createApiKey.apiKey.type).toBe('USER');
  });

  it('deleting again, and every other mutation on a deleted key, is NOT_FOUND', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'deleted for good' });
    expectOk(await remove(key.id));
    for (const res of [
      await remove(key.id),
      await revoke(key.id, 'late'),
      await t.gql(UpdateApiKeyDocument, { id: key.id, input: { name: 'revived' } }),
      await t.gql(SetApiKeyStatusDocument, { id: key.id, status: 'ACTIVE' }),
      await t.gql(RotateApiKeyDocument, { id: key.id }),
    ]) {
      expectError(res, 'NOT_FOUND', 200);
      expect(res.body.errors![0].message).toBe('API key not found.');
    }
    expect(await auditOf(t, key.id, 'API_KEY_DELETED')).toHaveLength(1);
  });

  it.each([
    ['a nonexistent id', MISSING_ID],
    ['a malformed id', 'not-a-uuid'],
  ])('%s is NOT_FOUND (200)', async (_case, id) => {
    const res = await remove(id);
    expectError(res, 'NOT_FOUND', 200);
    expect(res.body).toMatchObject({ data: null, errors: [{ message: 'API key not found.', extensions: { code: 'NOT_FOUND' } }] });
  });

  describe('security', () => {
    it('needs apiKeys:delete: a key holding everything else is FORBIDDEN; the target stays listed and working', async () => {
      const target = await t.createKey({ stats: ['read'] }, { name: 'survivor of forbidden delete' });
      const caller = await t.createKey(allBut('apiKeys', 'delete'), { name: 'all but delete 2' });
      expectForbidden(await remove(target.id, { key: caller.secret }), 'apiKeys:delete');
      expect((await listed('survivor of forbidden delete')).ids).toEqual([target.id]);
      await works(t, target.secret);
    });

    it('another organization’s key id behaves exactly like a nonexistent id: NOT_FOUND; the key stays listed and working', async () => {
      const target = await t.createKey({ stats: ['read'] }, { name: 'survivor of cross-org delete' });
      const events = await countAudit(t);
      const foreign = await remove(target.id, { key: other.rootKey });
      const missing = await remove(MISSING_ID, { key: other.rootKey });
      expectError(foreign, 'NOT_FOUND', 200);
      expect(foreign.status).toBe(missing.status);
      expect(foreign.body).toEqual(missing.body);
      expect((await listed('survivor of cross-org delete')).ids).toEqual([target.id]);
      await works(t, target.secret);
      expect(await countAudit(t)).toBe(events);
    });

    it('a signed-in MEMBER cannot delete', async () => {
      const member = await t.addMember('deleter-member@acme.test', Role.MEMBER);
      const target = await t.createKey({ stats: ['read'] }, { name: 'member cannot delete me' });
      expectForbidden(await remove(target.id, { token: member.token }), 'apiKeys:delete');
      expect(await lookup(target.id)).not.toBeNull();
    });
  });
});
