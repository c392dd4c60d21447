import { Kind, parse, type ConstDirectiveNode } from 'graphql';
import { maskFromScopes } from '../support/access';
import { Role } from '../../src/kernel/access';
import { buildSchema } from '../../src/app';
import { printKeygateSchema } from '../../src/graphql/schema';
import {
  ApiKeyPermissionsDocument,
  ApiKeysDocument,
  FullViewerDocument,
  type FullViewerQuery,
  PermissionCatalogDocument,
  UpdateMemberRoleDocument,
  ViewerDocument,
  type PermissionCatalogQuery,
} from '../generated/graphql';
import { expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import { TestApp, type Auth } from '../support/harness';
import {
  ACTIONS,
  EVERY_ACTION,
  EVERY_SCOPE,
  jsonFromMask,
  MEMBER_SCOPES,
  NO_ACTIONS,
  ROLE_PERMISSIONS,
  VIEWER_SCOPES,
} from '../support/access';

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

// What each role holds, as the modules' manifests declare it.
const MEMBER_ROLE = jsonFromMask(ROLE_PERMISSIONS[Role.MEMBER]);
const VIEWER_ROLE = jsonFromMask(ROLE_PERMISSIONS[Role.VIEWER]);

/** The whole viewer (FullViewer: every field, the full Permissions shape). */
async function fullViewer(auth: Auth): Promise<FullViewerQuery['viewer']> {
  return expectOk(await t.gql(FullViewerDocument, {}, auth)).viewer;
}

/**
 * The whole viewer for a key that may not read keys: partial data (HTTP 200), `apiKey` null with
 * one FORBIDDEN naming apiKeys:read, everything else there.
 */
async function viewerWithoutKey(auth: Auth): Promise<FullViewerQuery['viewer']> {
  const res = await t.gql(FullViewerDocument, {}, auth);
  expect(res.status).toBe(200);
  expect(res.body.errors!.map((e) => [e.path!.join('.'), e.extensions])).toEqual([
    ['viewer.apiKey.id', { code: 'FORBIDDEN', required: ['apiKeys:read'] }],
  ]);
  expect(res.body.data!.viewer.apiKey).toBeNull();
  return res.body.data!.viewer;
}

/** A key's grant and effective permissions, as the bootstrap key reads them. */
async function grantOf(id: string): Promise<{ permissions: string[]; effective: string[] }> {
  const key = expectOk(await t.gql(ApiKeyPermissionsDocument, { id })).apiKey!;
  return { permissions: key.permissions.scopes, effective: key.effectivePermissions.scopes };
}

describe('viewer', () => {
  it('a BOT key: kind API_KEY, its organization, no user, the key itself, its granted permissions', async () => {
    // apiKeys:read to see itself (an ApiKey), members:read for its owner field.
    const key = await t.createKey(
      { stats: ['read'], shortLinks: ['read', 'create'], apiKeys: ['read'], members: ['read'] },
      { name: 'reporting bot' },
    );
    const viewer = await fullViewer({ key: key.secret });
    expect(viewer).toEqual({
      kind: 'API_KEY',
      organization: { id: t.org.id, name: 'Acme', plan: 'FREE' },
      user: null,
      apiKey: {
        id: key.id,
        name: 'reporting bot',
        type: 'BOT',
        status: 'ACTIVE',
        owner: null,
        permissions: { scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read', 'apiKeys:read', 'members:read'] },
        effectivePermissions: { scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read', 'apiKeys:read', 'members:read'] },
      },
      permissions: {
        ...NO_ACTIONS,
        shortLinks: ['create', 'read'],
        stats: ['read'],
        apiKeys: ['read'],
        members: ['read'],
        scopes: ['shortLinks:create', 'shortLinks:read', 'stats:read', 'apiKeys:read', 'members:read'],
      },
    });
  });

  it('the bootstrap key holds every scope', async () => {
    const viewer = await fullViewer({ key: t.rootKey });
    expect(viewer).toMatchObject({ kind: 'API_KEY', user: null, apiKey: { name: 'bootstrap', type: 'BOT', owner: null } });
    expect(viewer.permissions).toEqual({ ...EVERY_ACTION, scopes: EVERY_SCOPE });
  });

  it('a USER key of the owner: the user is the owner, the key is the key, permissions are the grant (an owner holds everything)', async () => {
    // members:read for the key's owner, which is member data.
    const key = await t.createKey(
      { apiKeys: ['read'], webhooks: ['create', 'delete'], members: ['read'] },
      { type: 'USER' as never, name: 'owner laptop' },
    );
    const viewer = await fullViewer({ key: key.secret });
    expect(viewer).toEqual({
      kind: 'API_KEY',
      organization: { id: t.org.id, name: 'Acme', plan: 'FREE' },
      user: { id: t.owner.userId, email: 'owner@acme.test', name: null },
      apiKey: {
        id: key.id,
        name: 'owner laptop',
        type: 'USER',
        status: 'ACTIVE',
        owner: { id: t.owner.userId, email: 'owner@acme.test' },
        permissions: { scopes: ['apiKeys:read', 'webhooks:create', 'webhooks:delete', 'members:read'] },
        effectivePermissions: { scopes: ['apiKeys:read', 'webhooks:create', 'webhooks:delete', 'members:read'] },
      },
      permissions: {
        ...NO_ACTIONS,
        apiKeys: ['read'],
        webhooks: ['create', 'delete'],
        members: ['read'],
        scopes: ['apiKeys:read', 'webhooks:create', 'webhooks:delete', 'members:read'],
      },
    });
  });

  it('a USER key’s permissions are effective: the grant ∩ its owner’s current role, and follow role changes at once', async () => {
    const admin = await t.addMember('shifting@acme.test', Role.ADMIN);
    const key = await t.createKey(
      { apiKeys: ['read'], members: ['read'], stats: ['read'], files: ['update'] },
      { type: 'USER' as never, by: admin },
    );
    const asAdmin = await fullViewer({ key: key.secret });
    expect(asAdmin.permissions.scopes).toEqual(['stats:read', 'files:update', 'apiKeys:read', 'members:read']);
    expect(asAdmin.apiKey!.effectivePermissions.scopes).toEqual(['stats:read', 'files:update', 'apiKeys:read', 'members:read']);

    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'MEMBER' }));
    // A MEMBER holds nothing on apiKeys: the key may no longer read even itself.
    const asMember = await viewerWithoutKey({ key: key.secret });
    expect(asMember.permissions).toEqual({ ...NO_ACTIONS, stats: ['read'], files: ['update'], scopes: ['stats:read', 'files:update'] });
    expect(await grantOf(key.id)).toEqual({
      permissions: ['stats:read', 'files:update', 'apiKeys:read', 'members:read'],
      effective: ['stats:read', 'files:update'],
    });

    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: admin.userId, role: 'VIEWER' }));
    expect((await viewerWithoutKey({ key: key.secret })).permissions).toEqual({ ...NO_ACTIONS, stats: ['read'], scopes: ['stats:read'] });
  });

  it('a session: kind USER, the signed-in user, no key, the permissions of the member’s role', async () => {
    const owner = await fullViewer({ token: t.owner.token });
    expect(owner).toEqual({
      kind: 'USER',
      organization: { id: t.org.id, name: 'Acme', plan: 'FREE' },
      user: { id: t.owner.userId, email: 'owner@acme.test', name: null },
      apiKey: null,
      permissions: { ...EVERY_ACTION, scopes: EVERY_SCOPE },
    });
    const admin = await t.addMember('session-admin@acme.test', Role.ADMIN);
    expect((await fullViewer({ token: admin.token })).permissions).toEqual({ ...EVERY_ACTION, scopes: EVERY_SCOPE });
    const member = await t.addMember('session-member@acme.test', Role.MEMBER);
    const asMember = await fullViewer({ token: member.token });
    expect(asMember).toMatchObject({ kind: 'USER', user: { id: member.userId, email: 'session-member@acme.test' }, apiKey: null });
    expect(asMember.permissions).toEqual({ ...MEMBER_ROLE, scopes: MEMBER_SCOPES });
    const viewer = await t.addMember('session-viewer@acme.test', Role.VIEWER);
    expect((await fullViewer({ token: viewer.token })).permissions).toEqual({ ...VIEWER_ROLE, scopes: VIEWER_SCOPES });
  });

  it('a session’s permissions come from the membership now, not from when the token was signed', async () => {
    const m = await t.addMember('promoted-session@acme.test', Role.VIEWER);
    expect(expectOk(await t.gql(ViewerDocument, {}, { token: m.token })).viewer.permissions.scopes).toEqual(VIEWER_SCOPES);
    expectOk(await t.gql(UpdateMemberRoleDocument, { userId: m.userId, role: 'ADMIN' }));
    expect(expectOk(await t.gql(ViewerDocument, {}, { token: m.token })).viewer.permissions.scopes).toEqual(EVERY_SCOPE);
  });

  it('a key with NO permissions at all may still call viewer (and nothing guarded, not even its own key)', async () => {
    const empty = await t.createKey({}, { name: 'empty' });
    const viewer = await viewerWithoutKey({ key: empty.secret });
    expect(viewer).toEqual({
      kind: 'API_KEY',
      organization: { id: t.org.id, name: 'Acme', plan: 'FREE' },
      user: null,
      apiKey: null,
      permissions: { ...NO_ACTIONS, scopes: [] },
    });
    expect(expectOk(await t.gql(ApiKeyPermissionsDocument, { id: empty.id })).apiKey).toMatchObject({
      id: empty.id,
      type: 'BOT',
      owner: null,
    });
    expectForbidden(await t.gql(ApiKeysDocument, {}, { key: empty.secret }), 'apiKeys:read');
  });

  it('shows the caller’s own organization, never another one', async () => {
    const other = await t.createOtherOrganization('Far Away');
    const viaKey = expectOk(await t.gql(ViewerDocument, {}, { key: other.rootKey })).viewer;
    expect(viaKey.organization).toEqual({ id: other.org.id, name: 'Far Away', plan: 'FREE' });
    const viaSession = expectOk(await t.gql(ViewerDocument, {}, { token: other.owner.token })).viewer;
    expect(viaSession).toMatchObject({
      kind: 'USER',
      organization: { id: other.org.id },
      user: { id: other.owner.userId, email: 'owner@far-away.test' },
    });
  });

  it('needs an authenticated principal', async () => {
    expectUnauthenticated(await t.gql(ViewerDocument, {}, null), 'MISSING');
    expectUnauthenticated(await t.gql(ViewerDocument, {}, { token: 'not.a.jwt' }), 'INVALID_SESSION');
  });
});

describe('permissionCatalog', () => {
  let catalog: PermissionCatalogQuery['permissionCatalog'];
  let by: Record<string, PermissionCatalogQuery['permissionCatalog'][number]>;
  beforeAll(async () => {
    catalog = expectOk(await t.gql(PermissionCatalogDocument)).permissionCatalog;
    by = Object.fromEntries(catalog.map((c) => [c.scope, c]));
  });

  it('lists every declared scope in catalog order, each with its resource and action; stats is read-only', () => {
    expect(catalog.map((c) => c.scope)).toEqual(EVERY_SCOPE);
    expect(EVERY_SCOPE.filter((s) => s.startsWith('stats:'))).toEqual(['stats:read']);
    for (const c of catalog) expect(`${c.resource}:${c.action}`).toBe(c.scope);
  });

  it('describes every scope in words', () => {
    const resource: Record<string, string> = {
      shortLinks: 'short links',
      domains: 'custom domains',
      stats: 'click statistics',
      files: 'uploaded files',
      apiKeys: 'API keys and the audit log',
      webhooks: 'webhook endpoints',
      members: 'organization members',
    };
    const action: Record<string, string> = { create: 'Create', read: 'Read', update: 'Change', delete: 'Delete' };
    // files is declared for uploads still to come: its scopes say they guard nothing yet.
    const reserved = (s: string) => (s.startsWith('files:') ? ' (reserved: guards nothing yet)' : '');
    expect(Object.fromEntries(catalog.map((c) => [c.scope, c.description]))).toEqual(
      Object.fromEntries(EVERY_SCOPE.map((s) => [s, `${action[s.split(':')[1]]} ${resource[s.split(':')[0]]}.${reserved(s)}`])),
    );
    expect(by['apiKeys:read'].description).toBe('Read API keys and the audit log.');
    expect(by['members:delete'].description).toBe('Delete organization members.');
  });

  it('names the fields each scope guards', () => {
    expect(by['apiKeys:read'].fields).toEqual(
      expect.arrayContaining(['ApiKey', 'Query.apiKeys', 'Query.apiKey', 'Query.auditLog', 'RemovedMember.deletedApiKeyIds']),
    );
    expect(by['apiKeys:create'].fields).toEqual(['Mutation.createApiKey']);
    expect([...by['apiKeys:update'].fields].sort()).toEqual(['Mutation.rotateApiKey', 'Mutation.setApiKeyStatus', 'Mutation.updateApiKey']);
    expect([...by['apiKeys:delete'].fields].sort()).toEqual(['Mutation.deleteApiKey', 'Mutation.revokeApiKey']);
    // A key's owner (an email) is member data, and so is every Member, wherever it is reached.
    expect([...by['members:read'].fields].sort()).toEqual(['ApiKey.owner', 'Member', 'Query.members']);
    expect(by['members:create'].fields).toEqual(['Mutation.addMember']);
    expect(by['members:update'].fields).toEqual(['Mutation.updateMemberRole']);
    expect(by['members:delete'].fields).toEqual(['Mutation.removeMember']);
    expect(by['shortLinks:read'].fields).toEqual(expect.arrayContaining(['ShortLink', 'Query.shortLinks', 'Query.shortLink']));
    expect(by['stats:read'].fields).toEqual(expect.arrayContaining(['Query.stats', 'ShortLink.clicks', 'ShortLink.stats']));
    for (const a of ACTIONS)
      expect(by[`files:${a}`]).toEqual({ scope: `files:${a}`, resource: 'files', action: a, description: expect.any(String), fields: [] });
    const everywhere = catalog.flatMap((c) => c.fields);
    expect(everywhere).not.toContain('Query.viewer');
    expect(everywhere).not.toContain('Query.permissionCatalog');
  });

  it('is exactly what the schema’s @requires usages say, type by type and field by field', async () => {
    const sdl = printKeygateSchema((await buildSchema()).schema);
    const expected = new Map<string, string[]>(EVERY_SCOPE.map((s) => [s, []]));
    const scopeOf = (d: ConstDirectiveNode) => {
      const arg = (name: string) => (d.arguments!.find((a) => a.name.value === name)!.value as { value: string }).value;
      return `${arg('resource')}:${arg('action')}`;
    };
    for (const def of parse(sdl).definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
      for (const d of def.directives ?? []) if (d.name.value === 'requires') expected.get(scopeOf(d))!.push(def.name.value);
      for (const field of def.fields ?? []) {
        for (const d of field.directives ?? [])
          if (d.name.value === 'requires') expected.get(scopeOf(d))!.push(`${def.name.value}.${field.name.value}`);
      }
    }
    expect(Object.fromEntries(catalog.map((c) => [c.scope, [...c.fields].sort()]))).toEqual(
      Object.fromEntries([...expected].map(([s, fields]) => [s, fields.sort()])),
    );
  });

  it('is the same for every principal, including a key with NO permissions at all and a VIEWER session', async () => {
    const empty = await t.createKey({});
    // A VIEWER cannot create keys: the USER key is made while an ADMIN, then the role drops to VIEWER.
    const viewer = await t.addMember('catalog-viewer@acme.test', Role.ADMIN);
    const userKey = await t.createKey(maskFromScopes(['stats:read']), { type: 'USER' as never, by: viewer });
    await t.sql('UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2', [t.org.id, viewer.userId, Role.VIEWER]);
    expect(expectOk(await t.gql(ViewerDocument, {}, { token: viewer.token })).viewer.permissions.scopes).toEqual(VIEWER_SCOPES);
    for (const auth of [{ key: empty.secret }, { token: viewer.token }, { key: userKey.secret }]) {
      expect(expectOk(await t.gql(PermissionCatalogDocument, {}, auth)).permissionCatalog).toEqual(catalog);
    }
  });

  it('needs an authenticated principal', async () => {
    expectUnauthenticated(await t.gql(PermissionCatalogDocument, {}, null), 'MISSING');
  });
});
