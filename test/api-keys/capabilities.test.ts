import { Role } from '../../src/kernel/access';
import { ApiKeyStatus, ApiKeyType } from '../../src/auth/api-key-states';
import {
  ApiKeyCapabilitiesDocument,
  CapabilityDeleteDocument,
  CapabilityRevokeDocument,
  CapabilityRotateDocument,
  CapabilitySetStatusDocument,
  CapabilityUpdateDocument,
} from '../generated/graphql';
import { expectOk } from '../support/expect';
import { ALL_PERMISSIONS } from '../support/access';
import type { Auth, GqlResponse, Member, TestApp } from '../support/harness';
import { apiKeySuite } from './helpers';

/**
 * `ApiKey.viewerCan` is computed by the rules the mutations enforce: for every principal, kind of
 * key and action, what viewerCan says is what the mutation then does — allowed means it succeeds,
 * refused means it fails with the same code, required scopes, rule and message.
 */
let t: TestApp;
apiKeySuite((suite) => ({ t } = suite));

type Action = 'update' | 'rotate' | 'setStatus' | 'enable' | 'disable' | 'revoke' | 'delete';
const MUTATIONS: Record<Action, (id: string, auth: Auth, status: string) => Promise<GqlResponse<unknown>>> = {
  update: (id, auth) => t.gql(CapabilityUpdateDocument, { id }, auth),
  rotate: (id, auth) => t.gql(CapabilityRotateDocument, { id }, auth),
  // The switch: to the status the key does not have.
  setStatus: (id, auth, status) => t.gql(CapabilitySetStatusDocument, { id, status: status === 'ACTIVE' ? 'INACTIVE' : 'ACTIVE' }, auth),
  enable: (id, auth) => t.gql(CapabilitySetStatusDocument, { id, status: 'ACTIVE' }, auth),
  disable: (id, auth) => t.gql(CapabilitySetStatusDocument, { id, status: 'INACTIVE' }, auth),
  revoke: (id, auth) => t.gql(CapabilityRevokeDocument, { id }, auth),
  delete: (id, auth) => t.gql(CapabilityDeleteDocument, { id }, auth),
};
const ACTIONS = Object.keys(MUTATIONS) as Action[];

type Target = 'small BOT key' | 'all-permission BOT key' | 'the admin’s USER key' | 'an inactive key' | 'a revoked key';
type Principal = 'owner session' | 'admin session' | 'key: apiKeys read+update' | 'key: apiKeys read+update+delete, stats read';

let admin: Member;
const principals = {} as Record<Principal, Auth>;

beforeAll(async () => {
  admin = await t.addMember('admin@capabilities.test', Role.ADMIN);
  principals['owner session'] = { token: t.owner.token };
  principals['admin session'] = { token: admin.token };
  principals['key: apiKeys read+update'] = { key: (await t.createKey({ apiKeys: ['read', 'update'] })).secret };
  principals['key: apiKeys read+update+delete, stats read'] = {
    key: (await t.createKey({ apiKeys: ['read', 'update', 'delete'], stats: ['read'] })).secret,
  };
});

/** A fresh key of the kind, so every mutation starts from the same state. */
async function makeTarget(kind: Target): Promise<string> {
  switch (kind) {
    case 'small BOT key':
      return (await t.createKey({ stats: ['read'] })).id;
    case 'all-permission BOT key':
      return (await t.createKey(ALL_PERMISSIONS)).id;
    case 'the admin’s USER key': {
      // One live USER key per person: delete the previous one first.
      await t.sql(`UPDATE api_keys SET deleted_at = now() WHERE owner_user_id = $1`, [admin.userId]);
      return (await t.createKey({ stats: ['read'] }, { type: ApiKeyType.USER, by: admin })).id;
    }
    case 'an inactive key': {
      const { id } = await t.createKey({ stats: ['read'] });
      await t.app.services.apiKeys.setStatus(t.owner.caller, id, ApiKeyStatus.INACTIVE);
      return id;
    }
    case 'a revoked key': {
      const { id } = await t.createKey({ stats: ['read'] });
      await t.app.services.apiKeys.revoke(t.owner.caller, id, 'test');
      return id;
    }
  }
}

const TARGETS: Target[] = ['small BOT key', 'all-permission BOT key', 'the admin’s USER key', 'an inactive key', 'a revoked key'];
const cases = (
  Object.keys({
    'owner session': 1,
    'admin session': 1,
    'key: apiKeys read+update': 1,
    'key: apiKeys read+update+delete, stats read': 1,
  }) as Principal[]
).flatMap((p) => TARGETS.flatMap((target) => ACTIONS.map((action) => [p, target, action] as const)));

it.each(cases)('%s on %s: viewerCan.%s is what the mutation does', async (principal, target, action) => {
  const auth = principals[principal];
  const id = await makeTarget(target);
  const { viewerCan: can, status } = expectOk(await t.gql(ApiKeyCapabilitiesDocument, { id }, auth)).apiKey!;
  const res = await MUTATIONS[action](id, auth, status);
  if (can[action]) {
    expect(res.body.errors).toBeUndefined();
    expect(can.reasons.find((r) => r.action === action)).toBeUndefined();
    return;
  }
  const reason = can.reasons.find((r) => r.action === action)!;
  const error = res.body.errors![0];
  expect(error.extensions!.code).toBe(reason.code);
  expect(error.extensions!.required ?? []).toEqual(reason.required);
  expect(error.extensions!.rule ?? null).toBe(reason.rule);
  // Scope refusals made up front word it their own way; rules and conflicts say exactly the same.
  if (reason.required.length === 0 || reason.rule) expect(error.message).toBe(reason.reason);
});

describe('what the answers are', () => {
  const canOf = async (principal: Principal, target: Target) =>
    expectOk(await t.gql(ApiKeyCapabilitiesDocument, { id: await makeTarget(target) }, principals[principal])).apiKey!.viewerCan;

  it('the owner may do everything to an active BOT key but enable it, which would change nothing', async () => {
    expect(await canOf('owner session', 'small BOT key')).toEqual({
      update: true,
      rotate: true,
      setStatus: true,
      enable: false,
      disable: true,
      revoke: true,
      delete: true,
      reasons: [{ action: 'enable', code: 'CONFLICT', rule: 'ALREADY_ACTIVE', required: [], reason: 'The key is already active.' }],
    });
  });

  it('an inactive key can be enabled, not disabled again', async () => {
    const can = await canOf('owner session', 'an inactive key');
    expect(can).toMatchObject({ setStatus: true, enable: true, disable: false, revoke: true });
    expect(can.reasons).toEqual([
      { action: 'disable', code: 'CONFLICT', rule: 'ALREADY_INACTIVE', required: [], reason: 'The key is already inactive.' },
    ]);
  });

  it('only the admin may rotate the admin’s USER key; the owner sees why', async () => {
    expect((await canOf('admin session', 'the admin’s USER key')).rotate).toBe(true);
    const owner = await canOf('owner session', 'the admin’s USER key');
    expect(owner.rotate).toBe(false);
    expect(owner.reasons.filter((r) => r.action === 'rotate')).toEqual([
      {
        action: 'rotate',
        code: 'FORBIDDEN',
        rule: 'USER_KEY_OWNER_ONLY',
        required: [],
        reason: 'Only the owner of a USER key can rotate it.',
      },
    ]);
  });

  it('a key that cannot delete sees revoke and delete refused with the scope it lacks', async () => {
    const can = await canOf('key: apiKeys read+update', 'small BOT key');
    expect(can).toMatchObject({ update: true, setStatus: true, disable: true, revoke: false, delete: false });
    expect(can.reasons.map((r) => [r.action, r.required])).toEqual([
      ['rotate', ['stats:read']],
      ['enable', []],
      ['revoke', ['apiKeys:delete']],
      ['delete', ['apiKeys:delete']],
    ]);
  });

  it('a revoked key offers only delete: revoking again is ALREADY_REVOKED, every change KEY_REVOKED', async () => {
    const can = await canOf('owner session', 'a revoked key');
    expect(can).toMatchObject({
      update: false,
      rotate: false,
      setStatus: false,
      enable: false,
      disable: false,
      revoke: false,
      delete: true,
    });
    expect(can.reasons.map((r) => [r.action, r.code, r.rule])).toEqual([
      ['update', 'CONFLICT', 'KEY_REVOKED'],
      ['rotate', 'CONFLICT', 'KEY_REVOKED'],
      ['setStatus', 'CONFLICT', 'KEY_REVOKED'],
      ['enable', 'CONFLICT', 'KEY_REVOKED'],
      ['disable', 'CONFLICT', 'KEY_REVOKED'],
      ['revoke', 'CONFLICT', 'ALREADY_REVOKED'],
    ]);
    expect(can.reasons.find((r) => r.action === 'revoke')!.reason).toBe('The key is already revoked; revocation is permanent.');
  });

  it('a key without apiKeys:delete asking about a revoked key is told the missing scope first', async () => {
    const can = await canOf('key: apiKeys read+update', 'a revoked key');
    expect(can.reasons.find((r) => r.action === 'revoke')).toEqual({
      action: 'revoke',
      code: 'FORBIDDEN',
      rule: null,
      required: ['apiKeys:delete'],
      reason: 'Missing permission apiKeys:delete.',
    });
  });
});
