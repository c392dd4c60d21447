import fc from 'fast-check';
import { Role } from '../../src/kernel/access';
import {
  ACCESS,
  ALL_PERMISSIONS,
  ALL_SCOPES,
  diffScopes,
  jsonFromMask,
  maskFromJson,
  missingScopes,
  RESOURCES,
  ROLE_PERMISSIONS,
  scopesOf,
} from '../support/access';
import { ACTIONS } from '../support/access';
import { createPermissionAlgebra } from '../../src/kernel/permissions';

/**
 * Issue 8 §6: the permission set must not overflow or alias as resources are added. The old
 * representation (one JS number, 32-bit bitwise operators) made the full set 0 at the 8th
 * resource and aliased the 9th with the 1st.
 */
const generated = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: i < RESOURCES.length ? RESOURCES[i] : `resource${i}`, actions: ACTIONS }));

describe.each([7, 8, 9, 16, 17, 40])('an algebra over %i resources × 4 actions', (n) => {
  const algebra = createPermissionAlgebra(generated(n));

  it('gives every scope its own bit, and the full set holds every one of them', () => {
    expect(algebra.ALL_SCOPES).toHaveLength(n * ACTIONS.length);
    expect(new Set(algebra.ALL_SCOPES.map((s) => s.mask)).size).toBe(n * ACTIONS.length);
    for (const s of algebra.ALL_SCOPES) {
      expect(s.mask > 0n).toBe(true);
      expect(algebra.holds(algebra.ALL, s.mask)).toBe(true);
    }
    expect(algebra.scopesOf(algebra.ALL)).toEqual(algebra.ALL_SCOPES.map((s) => s.scope));
  });

  it('no scope implies another: holding one never holds a different one', () => {
    for (const a of algebra.ALL_SCOPES) {
      for (const b of algebra.ALL_SCOPES) expect(algebra.holds(a.mask, b.mask)).toBe(a.scope === b.scope);
    }
  });

  it('sets round-trip through the JSON shape and scope lists, and missingScopes is set difference', () => {
    // Resources named resourceN are not keygate's own: the registry of names does not know them.
    const scopes = algebra.ALL_SCOPES.map((s) => s.scope);
    fc.assert(
      fc.property(fc.subarray(scopes), fc.subarray(scopes), (held, required) => {
        const h = algebra.maskFromScopes(held);
        const r = algebra.maskFromScopes(required);
        expect(algebra.maskFromJson(algebra.jsonFromMask(h))).toBe(h);
        expect(algebra.scopesOf(h).sort()).toEqual([...held].sort());
        expect(algebra.missingScopes(h, r).sort()).toEqual(required.filter((s) => !held.includes(s)).sort());
        expect(algebra.holds(h, r)).toBe(required.every((s) => held.includes(s)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('only declared scopes exist', () => {
  const algebra = createPermissionAlgebra([
    { name: 'links', actions: ACTIONS },
    { name: 'stats', actions: ['read'] },
  ]);

  it('a resource that declares only read has one scope; the others can be neither granted nor required', () => {
    expect(algebra.ALL_SCOPES.map((s) => s.scope)).toEqual(['links:create', 'links:read', 'links:update', 'links:delete', 'stats:read']);
    expect(algebra.declares('stats', 'read')).toBe(true);
    expect(algebra.declares('stats', 'create')).toBe(false);
    expect(() => algebra.maskFromScopes(['stats:create'])).toThrow('Unknown scope stats:create');
    expect(() => algebra.parseGrant({ stats: ['create'] }, 'input.permissions')).toThrow('stats has no create permission.');
  });
});

describe('keygate’s own algebra', () => {
  it('is the one generated from the modules: every declared scope, stats read-only', () => {
    expect(ALL_SCOPES.map((s) => s.scope)).toEqual(ACCESS.resources.flatMap((r) => r.actions.map((a) => `${r.name}:${a}`)));
    expect(ALL_SCOPES.map((s) => s.scope).filter((s) => s.startsWith('stats:'))).toEqual(['stats:read']);
    expect(ALL_PERMISSIONS).toBe((1n << BigInt(ALL_SCOPES.length)) - 1n);
  });

  it('refuses unknown resources and actions instead of ignoring them', () => {
    expect(() => ACCESS.maskFromJson({ tags: ['read'] } as never)).toThrow('Unknown resource tags');
    expect(() => ACCESS.maskFromScopes(['shortLinks:publish'])).toThrow('Unknown scope shortLinks:publish');
    expect(() =>
      createPermissionAlgebra([
        { name: 'a', actions: ACTIONS },
        { name: 'a', actions: ACTIONS },
      ]),
    ).toThrow('Resource names must be unique');
  });
});

describe('keygate’s scopes and roles, as the modules declare them', () => {
  it('round-trips the JSON shape', () => {
    const mask = maskFromJson({ stats: ['read'], shortLinks: ['create', 'read'] });
    expect(scopesOf(mask)).toEqual(['shortLinks:create', 'shortLinks:read', 'stats:read']);
    expect(jsonFromMask(mask)).toEqual({
      shortLinks: ['create', 'read'],
      domains: [],
      stats: ['read'],
      files: [],
      apiKeys: [],
      webhooks: [],
      members: [],
    });
  });

  it('missing scopes and diffs, in catalog order', () => {
    const held = maskFromJson({ stats: ['read'] });
    expect(missingScopes(held, maskFromJson({ stats: ['read'], files: ['delete'], apiKeys: ['read'] }))).toEqual([
      'files:delete',
      'apiKeys:read',
    ]);
    expect(diffScopes(held, maskFromJson({ apiKeys: ['read'] }))).toEqual({ added: ['apiKeys:read'], removed: ['stats:read'] });
  });

  it('roles as DESIGN.md section 1: owners and admins hold everything; members every product scope; viewers read them', () => {
    expect(ROLE_PERMISSIONS[Role.OWNER]).toBe(ALL_PERMISSIONS);
    expect(ROLE_PERMISSIONS[Role.ADMIN]).toBe(ALL_PERMISSIONS);
    const product = ALL_SCOPES.filter((s) => s.resource !== 'apiKeys' && s.resource !== 'members').map((s) => s.scope);
    expect(scopesOf(ROLE_PERMISSIONS[Role.MEMBER])).toEqual(product);
    expect(scopesOf(ROLE_PERMISSIONS[Role.VIEWER])).toEqual([
      'shortLinks:read',
      'domains:read',
      'stats:read',
      'files:read',
      'webhooks:read',
    ]);
  });
});
