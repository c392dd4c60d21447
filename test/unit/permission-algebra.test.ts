import fc from 'fast-check';
import { ACTIONS, ALL_PERMISSIONS, ALL_SCOPES, createPermissionAlgebra, RESOURCES } from '../../src/auth/permissions';

/**
 * Issue 8 §6: the permission set must not overflow or alias as resources are added. The old
 * representation (one JS number, 32-bit bitwise operators) made the full set 0 at the 8th
 * resource and aliased the 9th with the 1st.
 */
const generated = (n: number) => Array.from({ length: n }, (_, i) => (i < RESOURCES.length ? RESOURCES[i] : `resource${i}`));

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

describe('keygate’s own algebra', () => {
  it('is the generated one over RESOURCES: 28 scopes today', () => {
    expect(ALL_SCOPES).toHaveLength(RESOURCES.length * ACTIONS.length);
    expect(ALL_PERMISSIONS).toBe(createPermissionAlgebra(RESOURCES).ALL);
    expect(ALL_PERMISSIONS).toBe((1n << 28n) - 1n);
  });

  it('refuses unknown resources and actions instead of ignoring them', () => {
    const algebra = createPermissionAlgebra(RESOURCES);
    expect(() => algebra.maskFromJson({ tags: ['read'] } as never)).toThrow('Unknown resource tags');
    expect(() => algebra.maskFromScopes(['shortLinks:publish'])).toThrow('Unknown scope shortLinks:publish');
    expect(() => createPermissionAlgebra(['a', 'a'])).toThrow('Resource names must be unique');
  });
});
