import { Role } from '../../src/kernel/access';
import {
  ApiKeyCapabilitiesDocument,
  CapabilitySetStatusDocument,
  RevokeApiKeyBareDocument,
  ViewerPrincipalDocument,
} from '../generated/graphql';
import { expectError, expectForbidden, expectOk, expectUnauthenticated } from '../support/expect';
import type { Auth, OtherOrganization, TestApp } from '../support/harness';
import { apiKeySuite, auditOf, countAudit, MISSING_ID, works } from './helpers';

/**
 * Issue 19: an action that would change nothing is refused, and `viewerCan` says so first —
 * revoking a revoked key (ALREADY_REVOKED), enabling an active key (ALREADY_ACTIVE), disabling an
 * inactive one (ALREADY_INACTIVE). All CONFLICT, answered with HTTP 200 like every CONFLICT.
 */
let t: TestApp;
let other: OtherOrganization;
apiKeySuite((suite) => ({ t, other } = suite));

const revoke = (id: string, auth: Auth = { key: t.rootKey }) => t.gql(RevokeApiKeyBareDocument, { id, reason: 'again' }, auth);
const setStatus = (id: string, status: 'ACTIVE' | 'INACTIVE', auth: Auth = { key: t.rootKey }) =>
  t.gql(CapabilitySetStatusDocument, { id, status }, auth);
const can = async (id: string, auth: Auth = { key: t.rootKey }) =>
  expectOk(await t.gql(ApiKeyCapabilitiesDocument, { id }, auth)).apiKey!.viewerCan;

describe('happy: the first change is made, viewerCan then refuses the repeat', () => {
  it('revoke: true before, false with ALREADY_REVOKED after; the key answers 401 REVOKED', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoke once' });
    expect((await can(key.id)).revoke).toBe(true);
    expectOk(await revoke(key.id));
    const after = await can(key.id);
    expect(after.revoke).toBe(false);
    expect(after.delete).toBe(true);
    expect(after.reasons.find((r) => r.action === 'revoke')).toEqual({
      action: 'revoke',
      code: 'CONFLICT',
      rule: 'ALREADY_REVOKED',
      required: [],
      reason: 'The key is already revoked; revocation is permanent.',
    });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'REVOKED');
  });

  it('disable then enable: each flips viewerCan.enable / viewerCan.disable', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'flip' });
    expect(await can(key.id)).toMatchObject({ setStatus: true, enable: false, disable: true });
    expectOk(await setStatus(key.id, 'INACTIVE'));
    expect(await can(key.id)).toMatchObject({ setStatus: true, enable: true, disable: false });
    expectUnauthenticated(await t.gql(ViewerPrincipalDocument, {}, { key: key.secret }), 'INACTIVE');
    expectOk(await setStatus(key.id, 'ACTIVE'));
    expect(await can(key.id)).toMatchObject({ setStatus: true, enable: false, disable: true });
    await works(t, key.secret);
  });
});

describe('error: the repeat is refused with the exact code, rule and message; nothing is written', () => {
  it.each([
    ['revoking a revoked key', 'revoke', 'ALREADY_REVOKED', 'The key is already revoked; revocation is permanent.'],
    ['enabling an active key', 'enable', 'ALREADY_ACTIVE', 'The key is already active.'],
    ['disabling an inactive key', 'disable', 'ALREADY_INACTIVE', 'The key is already inactive.'],
  ] as const)('%s: CONFLICT (200), rule %s', async (_case, action, rule, message) => {
    const key = await t.createKey({ stats: ['read'] }, { name: `repeat ${action}` });
    if (action === 'revoke') expectOk(await revoke(key.id));
    if (action === 'disable') expectOk(await setStatus(key.id, 'INACTIVE'));
    const events = await countAudit(t);
    const res = action === 'revoke' ? await revoke(key.id) : await setStatus(key.id, action === 'enable' ? 'ACTIVE' : 'INACTIVE');
    expect(expectError(res, 'CONFLICT', 200)).toEqual({ code: 'CONFLICT', rule });
    expect(res.body.errors![0].message).toBe(message);
    expect(res.body.data).toBeNull();
    expect(await countAudit(t)).toBe(events);
  });

  it('a revoked key cannot be enabled or disabled: KEY_REVOKED, not ALREADY_INACTIVE', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked toggle' });
    expectOk(await revoke(key.id));
    for (const status of ['ACTIVE', 'INACTIVE'] as const) {
      expect(expectError(await setStatus(key.id, status), 'CONFLICT', 200)).toEqual({ code: 'CONFLICT', rule: 'KEY_REVOKED' });
    }
    expect(await auditOf(t, key.id, 'API_KEY_DISABLED')).toEqual([]);
  });
});

describe('security: the state of a key is told only to whoever may act on it', () => {
  it('without apiKeys:delete, revoking a revoked key is FORBIDDEN (403), not CONFLICT', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked, asked by a reader' });
    expectOk(await revoke(key.id));
    const reader = await t.createKey({ apiKeys: ['read', 'update'] }, { name: 'no delete' });
    expectForbidden(await revoke(key.id, { key: reader.secret }), 'apiKeys:delete');
  });

  it('a VIEWER session is refused by scope on an active key’s enable, before the state is looked at', async () => {
    const viewer = await t.addMember('no-op-viewer@acme.test', Role.VIEWER);
    const key = await t.createKey({ stats: ['read'] }, { name: 'viewer enable' });
    expectForbidden(await setStatus(key.id, 'ACTIVE', { token: viewer.token }), ['apiKeys:read', 'apiKeys:update']);
  });

  it('another organization’s revoked key is NOT_FOUND, exactly like a missing id: no CONFLICT leaks its state', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'revoked elsewhere' });
    expectOk(await revoke(key.id));
    const foreign = await revoke(key.id, { key: other.rootKey });
    const missing = await revoke(MISSING_ID, { key: other.rootKey });
    expectError(foreign, 'NOT_FOUND', 200);
    expect(foreign.body).toEqual(missing.body);
    const foreignEnable = await setStatus(key.id, 'ACTIVE', { key: other.rootKey });
    expect(foreignEnable.body).toEqual((await setStatus(MISSING_ID, 'ACTIVE', { key: other.rootKey })).body);
  });

  it('viewerCan of another organization’s key cannot be read at all (null)', async () => {
    const key = await t.createKey({ stats: ['read'] }, { name: 'capabilities elsewhere' });
    expect(expectOk(await t.gql(ApiKeyCapabilitiesDocument, { id: key.id }, { key: other.rootKey })).apiKey).toBeNull();
  });
});
