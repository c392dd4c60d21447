import { BadUserInputError } from './errors';

/**
 * Permissions are `resource:action` pairs. In memory a set of them is a bit set in one BigInt,
 * one bit per declared scope, so checking a whole operation is one AND whatever the number of
 * resources. On disk and on the wire it is the seed's JSON shape,
 * `{ "stats": ["read"], "shortLinks": ["create", "read"] }`.
 *
 * Resources are declared by the feature modules (see modules/index.ts); each declares the
 * actions that exist for it, and only those are scopes. The algebra is built from that list.
 */
export const ACTIONS = ['create', 'read', 'update', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * The names of the resources, filled in by the modules that declare them (TypeScript module
 * augmentation), so `@Requires('shortLinks', 'read')` is checked without this file knowing them:
 *
 *     declare module '../../kernel/permissions' { interface ResourceRegistry { shortLinks: true } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ResourceRegistry {}
export type Resource = Extract<keyof ResourceRegistry, string>;
export type Scope = `${Resource}:${Action}`;
export type PermissionMask = bigint;
/** The seed's JSON shape; resources with no actions may be omitted. */
export type PermissionsJson = Partial<Record<Resource, Action[]>>;

export interface ScopeInfo {
  resource: string;
  action: Action;
  scope: string;
  mask: PermissionMask;
}

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

/**
 * The permission algebra over declared resources: one bit per (resource, action) that exists.
 * Scopes that are not declared do not exist: they can be neither granted nor required.
 */
export function createPermissionAlgebra(resources: readonly { name: string; actions: readonly Action[] }[]) {
  const names = new Set(resources.map((r) => r.name));
  if (names.size !== resources.length) throw new Error('Resource names must be unique');
  const byScope = new Map<string, ScopeInfo>();
  let index = 0n;
  for (const { name, actions } of resources) {
    for (const action of ACTIONS) {
      if (!actions.includes(action)) continue;
      const scope = `${name}:${action}`;
      byScope.set(scope, { resource: name, action, scope, mask: 1n << index++ });
    }
  }
  const all: readonly ScopeInfo[] = [...byScope.values()];
  const ALL: PermissionMask = all.reduce((mask, s) => mask | s.mask, 0n);

  const find = (resource: string, action: string): ScopeInfo | undefined => byScope.get(`${resource}:${action}`);
  const bit = (resource: Resource, action: Action): PermissionMask => {
    const info = find(resource, action);
    if (!info) throw new Error(`Unknown scope ${resource}:${action}`);
    return info.mask;
  };
  const scopesOf = (mask: PermissionMask): Scope[] => all.filter((s) => (mask & s.mask) !== 0n).map((s) => s.scope as Scope);

  return {
    ALL,
    ALL_SCOPES: all,
    isResource: (value: unknown): value is Resource => typeof value === 'string' && names.has(value),
    /** True when the resource declares this action (so the scope exists). */
    declares: (resource: string, action: string): boolean => find(resource, action) !== undefined,
    bit,
    scopesOf,
    /** True when `held` contains every bit of `required`: one AND, one comparison. */
    holds: (held: PermissionMask, required: PermissionMask): boolean => (held & required) === required,
    /** The scopes in `required` that `held` lacks, in catalog order. */
    missingScopes: (held: PermissionMask, required: PermissionMask): Scope[] => scopesOf(required & ~held),
    maskFromScopes(scopes: readonly string[]): PermissionMask {
      let mask = 0n;
      for (const scope of scopes) {
        const info = byScope.get(scope);
        if (!info) throw new Error(`Unknown scope ${scope}`);
        mask |= info.mask;
      }
      return mask;
    },
    /**
     * Parses stored JSON. Unknown resources or actions throw: stored permissions come only from
     * validated input, so anything else means corrupted data and must not widen access silently.
     */
    maskFromJson(json: Partial<Record<string, readonly string[]>> | null | undefined): PermissionMask {
      let mask = 0n;
      for (const [resource, actions] of Object.entries(json ?? {})) {
        if (!names.has(resource)) throw new Error(`Unknown resource ${resource}`);
        for (const action of actions ?? []) {
          const info = find(resource, action);
          if (!info) throw new Error(`Unknown scope ${resource}:${String(action)}`);
          mask |= info.mask;
        }
      }
      return mask;
    },
    /** Canonical JSON: every resource present, actions in catalog order. */
    jsonFromMask(mask: PermissionMask): Record<Resource, Action[]> {
      const json: Record<string, Action[]> = {};
      for (const { name } of resources) json[name] = [];
      for (const s of all) if ((mask & s.mask) !== 0n) json[s.resource].push(s.action);
      return json as Record<Resource, Action[]>;
    },
    /** Compact JSON for storage: only resources that hold something. */
    storedJsonFromMask(mask: PermissionMask): PermissionsJson {
      const json: Record<string, Action[]> = {};
      for (const s of all) if ((mask & s.mask) !== 0n) (json[s.resource] ??= []).push(s.action);
      return json as PermissionsJson;
    },
    diffScopes(before: PermissionMask, after: PermissionMask): { added: Scope[]; removed: Scope[] } {
      return { added: scopesOf(after & ~before), removed: scopesOf(before & ~after) };
    },
    /**
     * Validates a grant from a client, strictly: unknown resources, unknown actions and actions a
     * resource does not declare are errors naming the input path, never ignored.
     */
    parseGrant(json: unknown, field: string): PermissionMask {
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        throw new BadUserInputError({ [field]: 'permissions must be an object such as { "stats": ["read"] }.' });
      }
      let mask = 0n;
      // Every bad resource is named, not only the first.
      const bad: Record<string, string> = {};
      for (const [resource, actions] of Object.entries(json as Record<string, unknown>)) {
        const at = `${field}.${resource}`;
        if (!names.has(resource)) bad[at] = `Unknown resource ${resource}.`;
        else if (actions == null) continue;
        else if (!Array.isArray(actions) || !actions.every(isAction)) bad[at] = 'Actions must be create, read, update or delete.';
        else
          for (const action of actions) {
            const info = find(resource, action);
            if (info) mask |= info.mask;
            else bad[at] = `${resource} has no ${action} permission.`;
          }
      }
      if (Object.keys(bad).length) throw new BadUserInputError(bad);
      return mask;
    },
  };
}

export type PermissionAlgebra = ReturnType<typeof createPermissionAlgebra>;
