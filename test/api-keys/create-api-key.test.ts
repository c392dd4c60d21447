import { Role } from '../../src/kernel/access';
import { ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyDocument,
  ApiKeysDocument,
  ApiKeyTypeFieldsDocument,
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateApiKeyGrantDocument,
  type CreateApiKeyInput,
  CreateApiKeySecretDocument,
  ViewerDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectRuleRefusal } from '../support/expect';
import type { Auth, GqlResponse, OtherOrganization, TestApp } from '../support/harness';
import {
  allBut,
  apiKeySuite,
  auditOf,
  bodyOf,
  countAudit,
  countKeys,
  countRows,
  DAY_MS,
  databaseText,
  expectNear,
  KEY_SHAPE,
  rootKeyId,
  sha256,
} from './helpers';

let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const create = (input: CreateApiKeyInput, auth: Auth = { key: t.rootKey }) => t.gql(CreateApiKeyDocument, { input }, auth);
/** Selects only the secret: needs apiKeys:create and nothing else (ApiKey itself needs apiKeys:read). */
const createSecretOnly = (input: CreateApiKeyInput, auth: Auth) => t.gql(CreateApiKeySecretDocument, { input }, auth);
/** Selects the created key without its owner: needs apiKeys:create and apiKeys:read. */
const createGrant = (input: CreateApiKeyInput, auth: Auth) => t.gql(CreateApiKeyGrantDocument, { input }, auth);

describe('createApiKey: happy path', () => {
  it('creates a BOT key with its grant, display parts and no owner; the secret is shaped and checksummed', async () => {
    const root = await rootKeyId(t);
    const before = Date.now();
    const { secret, apiKey } = expectOk(
      await create({ name: '  CI deploys  ', permissions: { stats: ['read'], shortLinks: ['read', 'create'] } }),
    ).createApiKey;

    expect(secret).toMatch(KEY_SHAPE);
    expect(t.app.keyFormat.isWellFormed(secret)).toBe(true);
    expect(apiKey).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'CI deploys',
      type: 'BOT',
      status: 'ACTIVE',
      prefix: secret.slice(0, 12),
      last4: secret.slice(-4),
      maskedKey: `${secret.slice(0, 12)}…${secret.slice(-4)}`,
      owner: null,
      permissions: { scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read'] },
      effectivePermissions: { scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read'] },
      createdAt: expect.any(String),
      createdBy: { kind: 'API_KEY', id: root.id, name: expect.stringMatching(/^bootstrap \(sk_live_[0-9a-f]{4}\)$/) },
      lastUsedAt: null,
      expiresAt: null,
      revokedAt: null,
      revokedBy: null,
      revokedReason: null,
      requestCount: 0,
    });
    expectNear(apiKey.createdAt, before, 10_000);
  });

  it('the new key works on the very next request with exactly its grant, and nothing more', async () => {
    const { secret } = expectOk(await create({ name: 'reader', permissions: { stats: ['read'], domains: ['read'] } })).createApiKey;
    const viewer = expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret })).viewer;
    expect(viewer.kind).toBe('API_KEY');
    expect(viewer.organization.id).toBe(t.org.id);
    expect(viewer.permissions.scopes).toEqual(['domains:read', 'stats:read']);
    expectForbidden(await t.gql(ApiKeysDocument, {}, { key: secret }), 'apiKeys:read');
  });

  it('an empty grant is allowed: the key authenticates but may do nothing guarded', async () => {
    const { secret, apiKey } = expectOk(await create({ name: 'nothing', permissions: {} })).createApiKey;
    expect(apiKey.permissions.scopes).toEqual([]);
    expect(expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret })).viewer.permissions.scopes).toEqual([]);
  });

  it('a signed-in admin is recorded as createdBy (kind USER, their id and email)', async () => {
    const admin = await t.addMember('creator@acme.test', Role.ADMIN);
    const { apiKey } = expectOk(
      await create({ name: 'by a person', permissions: { stats: ['read'] } }, { token: admin.token }),
    ).createApiKey;
    expect(apiKey.type).toBe('BOT');
    expect(apiKey.owner).toBeNull();
    expect(apiKey.createdBy).toEqual({ kind: 'USER', id: admin.userId, name: 'creator@acme.test' });
  });

  it.each([1, 30, 365])('expiresInDays %i sets expiresAt that many days ahead', async (days) => {
    const { apiKey } = expectOk(await create({ name: `expires in ${days}`, permissions: {}, expiresInDays: days })).createApiKey;
    expectNear(apiKey.expiresAt, Date.now() + days * DAY_MS);
    expect(apiKey.status).toBe('ACTIVE');
  });

  it('expiresAt in the future is kept to the millisecond', async () => {
    const at = new Date(Date.now() + 3 * DAY_MS + 1234).toISOString();
    const { apiKey } = expectOk(await create({ name: 'dated', permissions: {}, expiresAt: at })).createApiKey;
    expect(apiKey.expiresAt).toBe(at);
  });

  it('a name of exactly 100 characters (after trimming) is accepted', async () => {
    const name = 'n'.repeat(100);
    expect(expectOk(await create({ name: `   ${name}   `, permissions: {} })).createApiKey.apiKey.name).toBe(name);
  });

  it('records API_KEY_CREATED in the audit log with type, prefix, scopes and expiry', async () => {
    const root = await rootKeyId(t);
    const { apiKey } = expectOk(
      await create({ name: 'audited', permissions: { webhooks: ['read'], stats: ['read'] }, expiresInDays: 10 }),
    ).createApiKey;
    const events = await auditOf(t, apiKey.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'API_KEY_CREATED',
      targetType: 'API_KEY',
      targetId: apiKey.id,
      targetName: 'audited',
      actor: { kind: 'API_KEY', id: root.id },
      userAgent: 'keygate-tests',
      metadata: { type: 'BOT', prefix: apiKey.prefix, scopes: ['stats:read', 'webhooks:read'], expiresAt: apiKey.expiresAt },
    });
  });
});

describe('createApiKey: the secret is shown once and stored only as SHA-256', () => {
  it('api_key_secrets holds the sha256 hex of the key; no table anywhere holds the plaintext', async () => {
    const { secret, apiKey } = expectOk(await create({ name: 'stored', permissions: { stats: ['read'] } })).createApiKey;
    const rows = await t.dataSource.query('SELECT secret_hash, prefix, last4, ends_at FROM api_key_secrets WHERE api_key_id = $1', [
      apiKey.id,
    ]);
    expect(rows).toEqual([{ secret_hash: sha256(secret), prefix: apiKey.prefix, last4: apiKey.last4, ends_at: null }]);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const everything = await databaseText(t);
    expect(everything).toContain(sha256(secret)); // the dump does see the secrets table
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(bodyOf(secret));
    expect(everything).not.toContain(secret.slice(12, 60)); // nor a long part of it
  });

  it('no read returns it: apiKey, apiKeys, auditLog and viewer responses never contain the secret', async () => {
    // apiKeys:read to read keys (itself included), members:read for their owner field.
    const { secret, apiKey } = expectOk(
      await create({ name: 'never again', permissions: { apiKeys: ['read'], members: ['read'] } }),
    ).createApiKey;
    const responses: GqlResponse<unknown>[] = [
      await t.gql(ApiKeyDocument, { id: apiKey.id }),
      await t.gql(ApiKeysDocument, { first: 100 }),
      await t.gql(AuditLogDocument, { first: 100 }),
      await t.gql(ViewerDocument, {}, { key: secret }),
      await t.gql(ApiKeyDocument, { id: apiKey.id }, { key: secret }),
    ];
    for (const res of responses) {
      expectOk(res);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(bodyOf(secret));
    }
  });

  it('the schema has no way to read it: ApiKey has no secret or hash field; only createApiKey and rotateApiKey return CreatedApiKey', async () => {
    const data = expectOk(await t.gql(ApiKeyTypeFieldsDocument, {}));
    const keyFields = data.apiKeyType!.fields!.map((f) => f.name.toLowerCase());
    // Only the end of a rotation's grace period (a timestamp) mentions the secret.
    expect(keyFields.filter((f) => f.includes('secret') || f.includes('hash'))).toEqual(['previoussecretexpiresat']);
    expect(data.apiKeyType!.fields!.find((f) => f.name === 'previousSecretExpiresAt')!.type.name).toBe('DateTime');
    const returningSecret = data
      .mutationType!.fields!.filter((f) => (f.type.name ?? f.type.ofType?.name) === 'CreatedApiKey')
      .map((f) => f.name);
    expect(returningSecret.sort()).toEqual(['createApiKey', 'rotateApiKey']);
  });

  it('every key gets a distinct secret and hash', async () => {
    const a = expectOk(await create({ name: 'twin a', permissions: {} })).createApiKey;
    const b = expectOk(await create({ name: 'twin a', permissions: {} })).createApiKey;
    expect(a.secret).not.toBe(b.secret);
    expect(a.apiKey.id).not.toBe(b.apiKey.id);
    expect(
      await countRows(t, 'SELECT DISTINCT secret_hash FROM api_key_secrets WHERE api_key_id = ANY($1::uuid[])', [
        [a.apiKey.id, b.apiKey.id],
      ]),
    ).toBe(2);
  });
});

describe('createApiKey: bad input', () => {
  const future = () => new Date(Date.now() + 5 * DAY_MS).toISOString();
  const cases: [string, string, () => CreateApiKeyInput, string][] = [
    ['an empty name', 'input.name', () => ({ name: '', permissions: {} }), 'name must be 1 to 100 characters.'],
    ['a blank name', 'input.name', () => ({ name: '    ', permissions: {} }), 'name must be 1 to 100 characters.'],
    ['a 101-character name', 'input.name', () => ({ name: 'x'.repeat(101), permissions: {} }), 'name must be 1 to 100 characters.'],
    [
      'a control character in the name',
      'input.name',
      () => ({ name: 'line\nbreak', permissions: {} }),
      'name must not contain control characters.',
    ],
    ['a BEL in the name', 'input.name', () => ({ name: 'bad\u0007', permissions: {} }), 'name must not contain control characters.'],
    ['a NUL in the name', 'input.name', () => ({ name: 'nul\u0000', permissions: {} }), 'name must not contain NUL (\\u0000) characters.'],
    [
      'expiresInDays 0',
      'input.expiresInDays',
      () => ({ name: 'k', permissions: {}, expiresInDays: 0 }),
      'expiresInDays must be between 1 and 365.',
    ],
    [
      'expiresInDays 366',
      'input.expiresInDays',
      () => ({ name: 'k', permissions: {}, expiresInDays: 366 }),
      'expiresInDays must be between 1 and 365.',
    ],
    [
      'expiresInDays -1',
      'input.expiresInDays',
      () => ({ name: 'k', permissions: {}, expiresInDays: -1 }),
      'expiresInDays must be between 1 and 365.',
    ],
    [
      'expiresAt in the past',
      'input.expiresAt',
      () => ({ name: 'k', permissions: {}, expiresAt: '2001-01-01T00:00:00.000Z' }),
      'expiresAt must be in the future.',
    ],
    [
      'expiresAt a second ago',
      'input.expiresAt',
      () => ({ name: 'k', permissions: {}, expiresAt: new Date(Date.now() - 1000).toISOString() }),
      'expiresAt must be in the future.',
    ],
    [
      'expiresAt more than 10 years ahead',
      'input.expiresAt',
      () => ({ name: 'k', permissions: {}, expiresAt: new Date(Date.now() + 11 * 366 * DAY_MS).toISOString() }),
      'expiresAt must be within 10 years.',
    ],
    [
      'both expiresInDays and expiresAt',
      'input.expiresAt',
      () => ({ name: 'k', permissions: {}, expiresInDays: 5, expiresAt: future() }),
      'Give expiresInDays or expiresAt, not both.',
    ],
  ];

  it.each(cases)('%s: BAD_USER_INPUT on %s, nothing created or audited', async (_case, field, input, message) => {
    const [keys, events] = [await countKeys(t), await countAudit(t)];
    const res = await create(input());
    const extensions = expectError(res, 'BAD_USER_INPUT', 400);
    expect(extensions.fields).toEqual({ [field]: message });
    expect(res.body.data ?? null).toBeNull(); // refused before execution (NUL) or in the resolver: no data either way
    expect([await countKeys(t), await countAudit(t)]).toEqual([keys, events]);
  });

  it.each([
    ['an unknown resource', { name: 'k', permissions: { nukes: ['read'] } }],
    ['an unknown action', { name: 'k', permissions: { stats: ['launch'] } }],
    ['a type outside USER|BOT', { name: 'k', type: 'ROBOT', permissions: {} }],
    ['a non-integer expiresInDays', { name: 'k', permissions: {}, expiresInDays: 1.5 }],
    ['an unparseable expiresAt', { name: 'k', permissions: {}, expiresAt: 'tomorrow' }],
    ['no name', { permissions: {} }],
    ['no permissions', { name: 'k' }],
  ])('%s is refused as BAD_USER_INPUT (400) before any resolver runs', async (_case, input) => {
    const keys = await countKeys(t);
    const res = await create(input as never);
    expectError(res, 'BAD_USER_INPUT', 400);
    expect(res.body.data).toBeUndefined();
    expect(await countKeys(t)).toBe(keys);
  });
});

describe('createApiKey: security', () => {
  it('needs apiKeys:create: a key holding every other permission is FORBIDDEN (403), nothing created', async () => {
    const key = await t.createKey(allBut('apiKeys', 'create'), { name: 'all but create' });
    const keys = await countKeys(t);
    expectForbidden(await create({ name: 'nope', permissions: {} }, { key: key.secret }), 'apiKeys:create');
    expectForbidden(await createSecretOnly({ name: 'nope', permissions: {} }, { key: key.secret }), 'apiKeys:create');
    expect(await countKeys(t)).toBe(keys);
  });

  it.each([Role.MEMBER, Role.VIEWER])('a signed-in %s cannot create keys (FORBIDDEN apiKeys:create), nothing created', async (role) => {
    const member = await t.addMember(`no-keys-${role.toLowerCase()}@acme.test`, role);
    const [keys, events] = [await countKeys(t), await countAudit(t)];
    expectForbidden(await createSecretOnly({ name: 'nope', permissions: {} }, { token: member.token }), 'apiKeys:create');
    // The whole document is judged before anything runs: the key and its owner are not theirs to read either.
    const full = await create({ name: 'nope', permissions: {} }, { token: member.token });
    expectForbidden(full, ['apiKeys:create', 'apiKeys:read', 'members:read']);
    expect(full.body).not.toHaveProperty('data');
    expect([await countKeys(t), await countAudit(t)]).toEqual([keys, events]);
  });

  it('no escalation: a key with apiKeys:create but not webhooks:delete cannot grant webhooks:delete', async () => {
    const limited = await t.createKey({ apiKeys: ['create'], stats: ['read'], webhooks: ['read'] }, { name: 'limited creator' });
    const [keys, events] = [await countKeys(t), await countAudit(t)];
    const res = await createSecretOnly({ name: 'escalated', permissions: { webhooks: ['read', 'delete'] } }, { key: limited.secret });
    expectRuleRefusal(res, 'NO_ESCALATION', ['webhooks:delete']);
    expect(res.body.errors![0].message).toBe('You cannot grant webhooks:delete: you do not hold it.');
    expect([await countKeys(t), await countAudit(t)]).toEqual([keys, events]);
  });

  it('no escalation: with several missing scopes, `required` lists every one in catalog order', async () => {
    const limited = await t.createKey({ apiKeys: ['create'] }, { name: 'limited creator 2' });
    const keys = await countKeys(t);
    const res = await createSecretOnly(
      { name: 'escalated', permissions: { members: ['delete'], apiKeys: ['create', 'read'], shortLinks: ['update'] } },
      { key: limited.secret },
    );
    expectRuleRefusal(res, 'NO_ESCALATION', ['shortLinks:update', 'apiKeys:read', 'members:delete']);
    expect(await countKeys(t)).toBe(keys);
    expect(res.body.errors![0].message).toBe('You cannot grant shortLinks:update, apiKeys:read, members:delete: you do not hold them.');
  });

  it('granting a subset (or all) of what you hold is allowed', async () => {
    // apiKeys:read as well, to read the created key back.
    const limited = await t.createKey({ apiKeys: ['create', 'read'], stats: ['read'], webhooks: ['read'] }, { name: 'limited creator 3' });
    const { apiKey } = expectOk(
      await createGrant({ name: 'subset', permissions: { stats: ['read'] } }, { key: limited.secret }),
    ).createApiKey;
    expect(apiKey.permissions.scopes).toEqual(['stats:read']);
    const all = expectOk(
      await createGrant(
        { name: 'same', permissions: { apiKeys: ['create', 'read'], stats: ['read'], webhooks: ['read'] } },
        { key: limited.secret },
      ),
    );
    expect(all.createApiKey.apiKey.permissions.scopes).toEqual(['stats:read', 'apiKeys:create', 'apiKeys:read', 'webhooks:read']);
  });

  it('key principals cannot create USER keys: a BOT key gets FORBIDDEN, nothing created', async () => {
    const keys = await countKeys(t);
    const res = await create({ name: 'user key by a bot', type: 'USER', permissions: { stats: ['read'] } });
    expectRuleRefusal(res, 'USER_KEY_NEEDS_SESSION');
    expect(res.body.errors![0].message).toBe('An API key can create only BOT keys; sign in to create a USER key.');
    expect(await countKeys(t)).toBe(keys);
  });

  it('key principals cannot create USER keys: not even a USER key of an admin', async () => {
    const admin = await t.addMember('userkey-creator@acme.test', Role.ADMIN);
    const userKey = await t.createKey(
      { apiKeys: ['create', 'read'], stats: ['read'] },
      { type: ApiKeyType.USER, by: admin, name: 'admin user key' },
    );
    const keys = await countKeys(t);
    expectRuleRefusal(
      await createGrant({ name: 'another user key', type: 'USER', permissions: { stats: ['read'] } }, { key: userKey.secret }),
      'USER_KEY_NEEDS_SESSION',
    );
    expect(await countKeys(t)).toBe(keys);
    // A BOT key is fine from the same principal.
    expect(
      expectOk(await createGrant({ name: 'bot from user key', permissions: { stats: ['read'] } }, { key: userKey.secret })).createApiKey
        .apiKey.type,
    ).toBe('BOT');
  });

  it('another organization creates keys only in its own organization', async () => {
    const { secret, apiKey } = expectOk(
      await create({ name: 'theirs', permissions: { stats: ['read'] } }, { key: other.rootKey }),
    ).createApiKey;
    expect(expectOk(await t.gql(ViewerPrincipalDocument, {}, { key: secret })).viewer.organization.id).toBe(other.org.id);
    expect(expectOk(await t.gql(ApiKeyDocument, { id: apiKey.id })).apiKey).toBeNull();
    const [row] = await t.dataSource.query('SELECT org_id FROM api_keys WHERE id = $1', [apiKey.id]);
    expect(row.org_id).toBe(other.org.id);
  });
});

describe('createApiKey: USER keys', () => {
  const userInput = (name: string): CreateApiKeyInput => ({ name, type: 'USER', permissions: { stats: ['read'], apiKeys: ['read'] } });

  it('a signed-in user makes a USER key that belongs to them', async () => {
    const admin = await t.addMember('owner-of-key@acme.test', Role.ADMIN);
    const { secret, apiKey } = expectOk(await create(userInput('mine'), { token: admin.token })).createApiKey;
    expect(apiKey).toMatchObject({
      type: 'USER',
      owner: { id: admin.userId, email: 'owner-of-key@acme.test' },
      createdBy: { kind: 'USER', id: admin.userId, name: 'owner-of-key@acme.test' },
      permissions: { scopes: ['stats:read', 'apiKeys:read'] },
      effectivePermissions: { scopes: ['stats:read', 'apiKeys:read'] },
    });
    const [row] = await t.dataSource.query('SELECT owner_user_id FROM api_keys WHERE id = $1', [apiKey.id]);
    expect(row.owner_user_id).toBe(admin.userId);
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: secret })).viewer.apiKey).toMatchObject({ id: apiKey.id, type: 'USER' });
  });

  it('a second live USER key for the same user is a CONFLICT (200), nothing created', async () => {
    const admin = await t.addMember('twice@acme.test', Role.ADMIN);
    expectOk(await create(userInput('first'), { token: admin.token }));
    const [keys, events] = [await countKeys(t), await countAudit(t)];
    const res = await create(userInput('second'), { token: admin.token });
    expectError(res, 'CONFLICT', 200);
    expect(res.body.errors![0].message).toBe('You already have a live USER key in this organization; revoke or delete it first.');
    expect([await countKeys(t), await countAudit(t)]).toEqual([keys, events]);
  });

  it('an INACTIVE USER key is still live: CONFLICT', async () => {
    const admin = await t.addMember('inactive-holder@acme.test', Role.ADMIN);
    const first = expectOk(await create(userInput('paused'), { token: admin.token })).createApiKey.apiKey;
    await t.app.services.apiKeys.setStatus(t.owner.caller, first.id, 'INACTIVE' as never);
    expectError(await create(userInput('second'), { token: admin.token }), 'CONFLICT', 200);
  });

  it.each([
    ['revoked', (id: string) => t.app.services.apiKeys.revoke(t.owner.caller, id, 'done')],
    ['deleted', (id: string) => t.app.services.apiKeys.delete(t.owner.caller, id)],
    ['expired', (id: string) => t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [id])],
  ])('once the first is %s, a new USER key may be made', async (state, end) => {
    const admin = await t.addMember(`renew-${state}@acme.test`, Role.ADMIN);
    const first = expectOk(await create(userInput('first'), { token: admin.token })).createApiKey.apiKey;
    await end(first.id);
    const again = expectOk(await create(userInput('again'), { token: admin.token })).createApiKey.apiKey;
    expect(again.owner?.id).toBe(admin.userId);
  });

  it('the limit is per user: two users each hold one', async () => {
    const a = await t.addMember('per-user-a@acme.test', Role.ADMIN);
    const b = await t.addMember('per-user-b@acme.test', Role.ADMIN);
    expectOk(await create(userInput('a'), { token: a.token }));
    expectOk(await create(userInput('b'), { token: b.token }));
  });

  it('the limit is per organization: the same person may hold one in each of two organizations', async () => {
    const other = await t.createOtherOrganization('Second Home');
    const here = await t.addMember('two-orgs@acme.test', Role.ADMIN);
    const there = await t.addMember('two-orgs@acme.test', Role.ADMIN, other.org.id);
    expect(there.userId).toBe(here.userId);
    const a = expectOk(await create(userInput('here'), { token: here.token })).createApiKey;
    const b = expectOk(await create(userInput('there'), { token: there.token })).createApiKey;
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: a.secret })).viewer.organization.id).toBe(t.org.id);
    expect(expectOk(await t.gql(ViewerDocument, {}, { key: b.secret })).viewer.organization.id).toBe(other.org.id);
  });

  it('two concurrent requests cannot both create the live USER key: one succeeds, one CONFLICT', async () => {
    const admin = await t.addMember('racer@acme.test', Role.ADMIN);
    const results = await Promise.all([1, 2, 3].map((i) => create(userInput(`race ${i}`), { token: admin.token })));
    const codes = results.map((r) => (r.body.errors ? r.body.errors[0].extensions!.code : 'OK')).sort();
    expect(codes).toEqual(['CONFLICT', 'CONFLICT', 'OK']);
    expect(await countRows(t, `SELECT 1 FROM api_keys WHERE owner_user_id = $1 AND type = 'USER'`, [admin.userId])).toBe(1);
  });
});
