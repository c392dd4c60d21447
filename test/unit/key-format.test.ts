import { checksum, hashSecret, KeyFormat } from '../../src/auth/key-format';
import { ALL_PERMISSIONS, ALL_SCOPES, diffScopes, jsonFromMask, maskFromJson, missingScopes, scopesOf } from '../../src/auth/permissions';
import { ROLE_PERMISSIONS, Role } from '../../src/auth/roles';
import { ACTIONS, ADMIN_RESOURCES, MEMBER_SCOPES, permissionsShape, RESOURCES, VIEWER_SCOPES } from '../support/resources';

const format = new KeyFormat('sk_live_');

describe('key format', () => {
  it('generates prefix + 64 hex + 6 base62 checksum, with the display parts and hash', () => {
    const k = format.generate();
    expect(k.secret).toMatch(/^sk_live_[0-9a-f]{64}[0-9A-Za-z]{6}$/);
    expect(new RegExp(format.scannerRegex).test(k.secret)).toBe(true);
    expect(k.prefix).toBe(k.secret.slice(0, 12));
    expect(k.last4).toBe(k.secret.slice(-4));
    expect(k.maskedKey).toBe(`${k.prefix}…${k.last4}`);
    expect(k.hash).toBe(hashSecret(k.secret));
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(k.secret.slice(0, -6))).toBe(k.secret.slice(-6));
    expect(format.isWellFormed(k.secret)).toBe(true);
  });

  it('two keys never share a body', () => {
    const bodies = new Set(Array.from({ length: 1000 }, () => format.generate().secret.slice(8, 72)));
    expect(bodies.size).toBe(1000);
  });

  it('detects every single-character change in the body', () => {
    const k = format.generate().secret;
    for (let i = 8; i < 72; i++) {
      const c = k[i] === '0' ? '1' : '0';
      expect(format.isWellFormed(k.slice(0, i) + c + k.slice(i + 1))).toBe(false);
    }
  });

  it('honours a custom prefix', () => {
    const custom = new KeyFormat('kg_test_');
    const k = custom.generate().secret;
    expect(k.startsWith('kg_test_')).toBe(true);
    expect(custom.isWellFormed(k)).toBe(true);
    expect(format.isWellFormed(k)).toBe(false);
  });
});

describe('permissions algebra', () => {
  it('one scope per resource and action, one bit each', () => {
    expect(ALL_SCOPES).toHaveLength(RESOURCES.length * ACTIONS.length);
    expect(new Set(ALL_SCOPES.map((s) => s.mask)).size).toBe(RESOURCES.length * ACTIONS.length);
    expect(ALL_SCOPES.reduce((m, s) => m | s.mask, 0n)).toBe(ALL_PERMISSIONS);
  });

  it('round-trips the JSON shape', () => {
    const mask = maskFromJson({ stats: ['read'], shortLinks: ['create', 'read'] });
    expect(scopesOf(mask)).toEqual(['shortLinks:create', 'shortLinks:read', 'stats:read']);
    expect(jsonFromMask(mask)).toEqual(permissionsShape({ shortLinks: ['create', 'read'], stats: ['read'] }));
  });

  it('refuses unknown resources and actions instead of ignoring them', () => {
    expect(() => maskFromJson({ nukes: ['read'] } as never)).toThrow('Unknown resource nukes');
    expect(() => maskFromJson({ stats: ['launch'] } as never)).toThrow('Unknown action launch');
  });

  it('missing and diff', () => {
    const held = maskFromJson({ stats: ['read'] });
    expect(missingScopes(held, maskFromJson({ stats: ['read', 'delete'], apiKeys: ['read'] }))).toEqual(['stats:delete', 'apiKeys:read']);
    expect(diffScopes(held, maskFromJson({ apiKeys: ['read'] }))).toEqual({ added: ['apiKeys:read'], removed: ['stats:read'] });
  });

  it('roles as README "Permissions and roles" gives them', () => {
    expect(ROLE_PERMISSIONS[Role.OWNER]).toBe(ALL_PERMISSIONS);
    expect(ROLE_PERMISSIONS[Role.ADMIN]).toBe(ALL_PERMISSIONS);
    expect(scopesOf(ROLE_PERMISSIONS[Role.MEMBER]).filter((s) => ADMIN_RESOURCES.some((r) => s.startsWith(`${r}:`)))).toEqual([]);
    expect(scopesOf(ROLE_PERMISSIONS[Role.MEMBER])).toEqual(MEMBER_SCOPES);
    expect(scopesOf(ROLE_PERMISSIONS[Role.VIEWER])).toEqual(VIEWER_SCOPES);
  });
});
