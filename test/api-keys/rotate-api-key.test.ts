import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyDocument,
  ApiKeyPageDocument,
  ApiKeysDocument,
  RotateApiKeyDocument,
  RotateApiKeySecretDocument,
  ViewerDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal, expectUnauthenticated } from '../support/expect';
import type { Auth, GqlResponse, OtherOrganization, TestApp } from '../support/harness';
import {
  allBut,
  apiKeySuite,
  auditOf,
  bodyOf,
  countAudit,
  databaseText,
  deletedKeyId,
  expectNear,
  KEY_SHAPE,
  MISSING_ID,
  rootKeyId,
  sha256,
  works,
} from './helpers';

let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const rotate = (id: string, gracePeriodSeconds?: number | null, auth: Auth = { key: t.rootKey }) =>
  t.gql(RotateApiKeyDocument, gracePeriodSeconds === undefined ? { id } : { id, gracePeriodSeconds }, auth);

/** Selects only the new secret: needs apiKeys:update and nothing else (ApiKey itself needs apiKeys:read). */
const rotateSecretOnly = (id: string, gracePeriodSeconds: number, auth: Auth) =>
  t.gql(RotateApiKeySecretDocument, { id, gracePeriodSeconds }, auth);

/** The key a secret acts as, read by that secret itself: its key needs apiKeys:read. */
const identity = async (secret: string) => expectOk(await t.gql(ViewerDocument, {}, { key: secret })).viewer;
const prefixOf = async (id: string) => expectOk(await t.gql(ApiKeyDocument, { id })).apiKey!.prefix;
const secretsOf = (id: string): Promise<{ secret_hash: string; ends_at: Date | null }[]> =>
  t.dataSource.query('SELECT secret_hash, ends_at FROM api_key_secrets WHERE api_key_id = $1 ORDER BY created_at, ends_at NULLS LAST', [
    id,
  ]);
const endSecretsNow = (hash: string) =>
  t.sql(`UPDATE api_key_secrets SET ends_at = now() - interval '1 millisecond' WHERE secret_hash = $1`, [hash]);

describe('rotateApiKey: immediate (the default)', () => {
  it('returns a new secret for the same key; the old secret is 401 ROTATED on the very next request; the new one works', async () => {
    // apiKeys:read so that the new secret can show which key it is.
    const key = await t.createKey({ stats: ['read'], shortLinks: ['read'], apiKeys: ['read'] }, { name: 'rotating', expiresInDays: 20 });
    await works(t, key.secret); // verified (and cached) before the rotation
    const before = expectOk(await t.gql(ApiKeyDocument, { id: key.id })).apiKey!;
    const { secret, apiKey } = expectOk(await rotate(key.id)).rotateApiKey;

    expect(secret).toMatch(KEY_SHAPE);
    expect(t.app.keyFormat.isWellFormed(secret)).toBe(true);
    expect(secret).not.toBe(key.secret);
    expect(apiKey).toEqual({
      ...before,
      prefix: secret.slice(0, 12),
      last4: secret.slice(-4),
      maskedKey: `${secret.slice(0, 12)}…${secret.slice(-4)}`,
    });

    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    const viewer = await identity(secret);
    expect(viewer.apiKey?.id).toBe(key.id);
    expect(viewer.permissions.scopes).toEqual(['shortLinks:read', 'stats:read', 'apiKeys:read']);
    // And it stays refused.
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
  });

  it.each([
    ['omitted', undefined],
    ['0', 0],
    ['null', null],
  ])('gracePeriodSeconds %s means no grace period', async (_case, grace) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `no grace ${_case}` });
    await works(t, key.secret);
    const { secret } = expectOk(await rotate(key.id, grace)).rotateApiKey;
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    await works(t, secret);
  });

  it('stores only the new secret’s SHA-256; the old row is ended, not removed; no plaintext anywhere', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'rotation storage' });
    const { secret } = expectOk(await rotate(key.id)).rotateApiKey;
    const rows = await secretsOf(key.id);
    expect(rows).toHaveLength(2);
    expect(rows[0].secret_hash).toBe(sha256(key.secret));
    expect(rows[0].ends_at!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(rows[1]).toEqual({ secret_hash: sha256(secret), ends_at: null });
    const everything = await databaseText(t);
    for (const plain of [secret, key.secret]) {
      expect(everything).not.toContain(plain);
      expect(everything).not.toContain(bodyOf(plain));
    }
  });

  it('reads after a rotation never return the new secret', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'rotation reads' });
    const { secret } = expectOk(await rotate(key.id)).rotateApiKey;
    const reads: GqlResponse<unknown>[] = [await t.gql(ApiKeyDocument, { id: key.id }), await t.gql(ApiKeysDocument, { first: 100 })];
    for (const res of reads) {
      expect(JSON.stringify(expectOk(res))).not.toContain(bodyOf(secret));
    }
  });

  it('records API_KEY_ROTATED with both prefixes and the grace period', async () => {
    const root = await rootKeyId(t);
    const key = await t.createKey({ stats: ['read'] }, { name: 'rotation audit' });
    const [{ prefix: previousPrefix }] = await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [key.id]);
    const { apiKey } = expectOk(await rotate(key.id, 120)).rotateApiKey;
    const [event] = await auditOf(t, key.id, 'API_KEY_ROTATED');
    expect(event).toMatchObject({
      action: 'API_KEY_ROTATED',
      targetType: 'API_KEY',
      targetId: key.id,
      targetName: 'rotation audit',
      actor: { kind: 'API_KEY', id: root.id },
      metadata: { gracePeriodSeconds: 120, previousPrefix, prefix: apiKey.prefix, previousSecretEndsAt: expect.any(String) },
    });
    expectNear((event.metadata as { previousSecretEndsAt: string }).previousSecretEndsAt, Date.now() + 120_000);
    expect(JSON.stringify(event)).not.toContain(bodyOf(key.secret));
  });

  it('the list finds the key by its new display prefix, no longer by the old one', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'prefix moves' });
    const [{ prefix: old }] = await t.dataSource.query('SELECT prefix FROM api_keys WHERE id = $1', [key.id]);
    const { apiKey } = expectOk(await rotate(key.id)).rotateApiKey;
    const ids = async (search: string) =>
      expectOk(await t.gql(ApiKeyPageDocument, { first: 100, filter: { search } })).apiKeys.nodes.map((n) => n.id);
    expect(await ids(apiKey.prefix)).toContain(key.id);
    if (old !== apiKey.prefix) expect(await ids(old)).not.toContain(key.id);
  });

  it('a key with apiKeys:update may rotate itself: the secret that asked is ROTATED on its next request', async () => {
    const self = await t.createKey({ apiKeys: ['update'], stats: ['read'] }, { name: 'self rotating' });
    const { secret } = expectOk(await rotateSecretOnly(self.id, 0, { key: self.secret })).rotateApiKey;
    expect(await prefixOf(self.id)).toBe(secret.slice(0, 12)); // the same key, now showing the new secret's prefix
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: self.secret }), 'ROTATED');
    await works(t, secret);
  });

  it('rotation keeps the status: a rotated INACTIVE key’s new secret is refused as INACTIVE until re-enabled', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'inactive rotation' });
    await t.app.services.apiKeys.setStatus(t.owner.caller, key.id, 'INACTIVE' as never);
    const { secret, apiKey } = expectOk(await rotate(key.id)).rotateApiKey;
    expect(apiKey.status).toBe('INACTIVE');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: secret }), 'INACTIVE');
    await t.app.services.apiKeys.setStatus(t.owner.caller, key.id, 'ACTIVE' as never);
    await works(t, secret);
  });
});

describe('rotateApiKey: with a grace period', () => {
  it('both secrets work until the grace period ends; then the old one is ROTATED and the new one still works', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'graceful' });
    await works(t, key.secret);
    const { secret } = expectOk(await rotate(key.id, 3600)).rotateApiKey;
    await works(t, key.secret);
    await works(t, secret);
    await works(t, key.secret);
    const [old] = await secretsOf(key.id);
    expectNear(old.ends_at, Date.now() + 3600_000);
    await endSecretsNow(sha256(key.secret)); // the hour passes
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    await works(t, secret);
  });

  it('the maximum, 604800 seconds (7 days), is accepted', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'week of grace' });
    const { secret } = expectOk(await rotate(key.id, 604_800)).rotateApiKey;
    await works(t, key.secret);
    await works(t, secret);
    expectNear((await secretsOf(key.id))[0].ends_at, Date.now() + 604_800_000);
  });

  it('an immediate rotation during a grace period ends every earlier secret at once', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'double rotation' });
    await works(t, key.secret);
    const second = expectOk(await rotate(key.id, 3600)).rotateApiKey.secret;
    await works(t, key.secret);
    await works(t, second);
    const third = expectOk(await rotate(key.id)).rotateApiKey.secret;
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'ROTATED');
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: second }), 'ROTATED');
    await works(t, third);
  });

  it('a later rotation never extends an earlier secret’s end', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'no extension' });
    expectOk(await rotate(key.id, 60));
    expectOk(await rotate(key.id, 3600));
    const [first] = await secretsOf(key.id);
    expect(first.secret_hash).toBe(sha256(key.secret));
    expectNear(first.ends_at, Date.now() + 60_000, 30_000);
  });

  it('the old secret during its grace period is still the same key with the same permissions', async () => {
    const key = await t.createKey({ stats: ['read'], domains: ['read'], apiKeys: ['read'] }, { name: 'grace identity' });
    expectOk(await rotate(key.id, 600));
    const viewer = await identity(key.secret);
    expect(viewer.apiKey?.id).toBe(key.id);
    expect(viewer.permissions.scopes).toEqual(['domains:read', 'stats:read', 'apiKeys:read']);
  });
});

describe('rotateApiKey: bad input and states', () => {
  it.each([604_801, -1, 10_000_000])('gracePeriodSeconds %i is BAD_USER_INPUT on `gracePeriodSeconds`; nothing rotates', async (grace) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `bad grace ${grace}` });
    const events = await countAudit(t);
    const res = await rotate(key.id, grace);
    expect(expectError(res, 'BAD_USER_INPUT', 400).fields).toEqual({
      gracePeriodSeconds: 'gracePeriodSeconds must be between 0 and 604800 (7 days).',
    });
    expect(res.body.data).toBeNull();
    await works(t, key.secret);
    expect(await secretsOf(key.id)).toHaveLength(1);
    expect(await countAudit(t)).toBe(events);
  });

  it('a revoked key cannot be rotated: CONFLICT (200), no new secret', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked rotation' });
    await t.app.services.apiKeys.revoke(t.owner.caller, key.id, 'gone');
    const res = await rotate(key.id);
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('A revoked key cannot be rotated.');
    expect(await secretsOf(key.id)).toHaveLength(1);
  });

  it.each([
    ['a nonexistent id', async () => MISSING_ID],
    ['a malformed id', async () => 'not-a-uuid'],
    ['a deleted key', () => deletedKeyId(t, 'deleted rotation')],
  ])('%s is NOT_FOUND (200)', async (_case, id) => {
    const res = await rotate(await id());
    expectError(res, 'NOT_FOUND', 200);
    expect(res.body.errors![0].message).toBe('API key not found.');
    expect(res.body.data).toBeNull();
  });
});

describe('rotateApiKey: security', () => {
  it('needs apiKeys:update: a key holding everything else is FORBIDDEN; the target is untouched', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'rotation target' });
    const caller = await t.createKey(allBut('apiKeys', 'update'), { name: 'all but update' });
    expectForbidden(await rotate(target.id, 0, { key: caller.secret }), 'apiKeys:update');
    await works(t, target.secret);
    expect(await secretsOf(target.id)).toHaveLength(1);
  });

  it('another organization’s key id behaves exactly like a nonexistent id: NOT_FOUND, and the key keeps working', async () => {
    const target = await t.createKey({ stats: ['read'] }, { name: 'not theirs to rotate' });
    const events = await countAudit(t);
    const foreign = await rotate(target.id, 0, { key: other.rootKey });
    const missing = await rotate(MISSING_ID, 0, { key: other.rootKey });
    expectError(foreign, 'NOT_FOUND', 200);
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body).toEqual(missing.body);
    await works(t, target.secret);
    expect(await secretsOf(target.id)).toHaveLength(1);
    expect(await countAudit(t)).toBe(events);
  });

  it('no escalation: rotating a key that holds scopes you lack is FORBIDDEN (NO_ESCALATION) naming every one; the target is untouched', async () => {
    const powerful = await t.createKey({ stats: ['read'], webhooks: ['delete'], members: ['delete'] }, { name: 'powerful' });
    const rotator = await t.createKey({ apiKeys: ['update'], stats: ['read'] }, { name: 'weak rotator' });
    const events = await countAudit(t);
    const res = await rotateSecretOnly(powerful.id, 0, { key: rotator.secret });
    expectRuleRefusal(res, 'NO_ESCALATION', ['webhooks:delete', 'members:delete']);
    expect(res.body.errors![0].message).toBe('You cannot grant webhooks:delete, members:delete: you do not hold them.');
    await works(t, powerful.secret);
    expect(await secretsOf(powerful.id)).toHaveLength(1);
    expect(await countAudit(t)).toBe(events);
    // A key within its reach rotates fine.
    const modest = await t.createKey({ stats: ['read'] }, { name: 'modest' });
    expectOk(await rotateSecretOnly(modest.id, 0, { key: rotator.secret }));
    expect(await secretsOf(modest.id)).toHaveLength(2);
  });

  describe('someone else’s USER key', () => {
    it('the organization’s OWNER (signed in) cannot rotate an admin’s USER key: FORBIDDEN; the key is untouched', async () => {
      const admin = await t.addMember('userkey-holder@acme.test', Role.ADMIN);
      const userKey = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: admin, name: 'admin user key' });
      const res = await rotate(userKey.id, 0, { token: t.owner.token });
      expectRuleRefusal(res, 'USER_KEY_OWNER_ONLY');
      expect(res.body.errors![0].message).toBe('Only the owner of a USER key can rotate it.');
      await works(t, userKey.secret);
      expect(await secretsOf(userKey.id)).toHaveLength(1);
    });

    it('a BOT key with every permission cannot rotate a USER key', async () => {
      const admin = await t.addMember('userkey-holder-2@acme.test', Role.ADMIN);
      const userKey = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: admin, name: 'admin user key 2' });
      expectRuleRefusal(await rotate(userKey.id), 'USER_KEY_OWNER_ONLY');
      await works(t, userKey.secret);
      expect(await secretsOf(userKey.id)).toHaveLength(1);
    });

    it('another user’s USER key cannot rotate it either', async () => {
      const a = await t.addMember('userkey-a@acme.test', Role.ADMIN);
      const b = await t.addMember('userkey-b@acme.test', Role.ADMIN);
      const keyA = await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: a, name: 'a user key' });
      const keyB = await t.createKey({ apiKeys: ['update'], stats: ['read'] }, { type: ApiKeyType.USER, by: b, name: 'b user key' });
      expectRuleRefusal(await rotateSecretOnly(keyA.id, 0, { key: keyB.secret }), 'USER_KEY_OWNER_ONLY');
      await works(t, keyA.secret);
      expect(await secretsOf(keyA.id)).toHaveLength(1);
    });

    it('the owner may rotate their own USER key, signed in or with the key itself', async () => {
      const admin = await t.addMember('userkey-rotator@acme.test', Role.ADMIN);
      const userKey = await t.createKey(
        { apiKeys: ['update'], stats: ['read'] },
        { type: ApiKeyType.USER, by: admin, name: 'own user key' },
      );
      const bySession = expectOk(await rotate(userKey.id, 0, { token: admin.token })).rotateApiKey;
      expect(bySession.apiKey).toMatchObject({ id: userKey.id, type: 'USER', owner: { id: admin.userId } });
      expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: userKey.secret }), 'ROTATED');
      // The key's own grant (apiKeys:update) rotates it; reading the key back would need apiKeys:read.
      const byKey = expectOk(await rotateSecretOnly(userKey.id, 0, { key: bySession.secret })).rotateApiKey;
      expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: bySession.secret }), 'ROTATED');
      await works(t, byKey.secret);
      expect(await prefixOf(userKey.id)).toBe(byKey.secret.slice(0, 12));
    });
  });
});
