/**
 * Permissions are `resource:action` pairs. In memory a set of them is a bit set held in one
 * BigInt, so checking a whole operation is one AND whatever the number of resources (a JS number
 * used with bitwise operators has 32 bits: an 8th resource would have wrapped the full set to 0).
 * On disk and on the wire it is the seed's JSON shape, `{ "stats": ["read"], "shortLinks": ["create", "read"] }`.
 *
 * The algebra is built from a resource list (`createPermissionAlgebra`), so tests can prove it on
 * lists far longer than keygate's own; keygate's own instance is exported below.
 */
export const RESOURCES = ['shortLinks', 'domains', 'stats', 'files', 'apiKeys', 'webhooks', 'members'] as const;
export const ACTIONS = ['create', 'read', 'update', 'delete'] as const;

export type Resource = (typeof RESOURCES)[number];
export type Action = (typeof ACTIONS)[number];
export type Scope = `${Resource}:${Action}`;
export type PermissionMask = bigint;
/** The seed's JSON shape; resources with no actions may be omitted. */
export type PermissionsJson = Partial<Record<Resource, Action[]>>;

export const NO_PERMISSIONS: PermissionMask = 0n;

export interface ScopeInfo<R extends string = Resource> {
  resource: R;
  action: Action;
  scope: `${R}:${Action}`;
  mask: PermissionMask;
}

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

/** The permission algebra over one list of resources: bit `i * 4 + j` is resource i, action j. */
export function createPermissionAlgebra<R extends string>(resources: readonly R[]) {
  const index = new Map<string, number>(resources.map((r, i) => [r, i]));
  if (index.size !== resources.length) throw new Error('Resource names must be unique');
  const actionIndex = new Map<string, number>(ACTIONS.map((a, i) => [a, i]));

  const isResource = (value: unknown): value is R => typeof value === 'string' && index.has(value);
  const bit = (resource: R, action: Action): PermissionMask => {
    const r = index.get(resource);
    const a = actionIndex.get(action);
    if (r === undefined || a === undefined) throw new Error(`Unknown scope ${resource}:${action}`);
    return 1n << BigInt(r * ACTIONS.length + a);
  };
  const all: readonly ScopeInfo<R>[] = resources.flatMap((resource) =>
    ACTIONS.map((action) => ({ resource, action, scope: `${resource}:${action}` as const, mask: bit(resource, action) })),
  );
  const ALL: PermissionMask = all.reduce((mask, s) => mask | s.mask, 0n);

  const scopesOf = (mask: PermissionMask): `${R}:${Action}`[] => all.filter((s) => (mask & s.mask) !== 0n).map((s) => s.scope);

  return {
    resources,
    ALL,
    ALL_SCOPES: all,
    isResource,
    bit,
    scopesOf,
    /** True when `held` contains every bit of `required`: one AND, one comparison. */
    holds: (held: PermissionMask, required: PermissionMask): boolean => (held & required) === required,
    /** The scopes in `required` that `held` lacks, in catalog order. */
    missingScopes: (held: PermissionMask, required: PermissionMask) => scopesOf(required & ~held),
    maskFromScopes(scopes: readonly string[]): PermissionMask {
      let mask = 0n;
      for (const scope of scopes) {
        const [resource, action] = scope.split(':');
        if (!isResource(resource) || !isAction(action)) throw new Error(`Unknown scope ${scope}`);
        mask |= bit(resource, action);
      }
      return mask;
    },
    /**
     * Parses the JSON shape. Unknown resources or actions throw: stored permissions come only
     * from validated input, so anything else means corrupted data and must not widen access silently.
     */
    maskFromJson(json: Partial<Record<R, readonly string[]>> | null | undefined): PermissionMask {
      let mask = 0n;
      if (!json) return mask;
      for (const [resource, actions] of Object.entries(json) as [string, readonly string[] | undefined][]) {
        if (!isResource(resource)) throw new Error(`Unknown resource ${resource}`);
        for (const action of actions ?? []) {
          if (!isAction(action)) throw new Error(`Unknown action ${String(action)}`);
          mask |= bit(resource, action);
        }
      }
      return mask;
    },
    /** Canonical JSON: every resource present, actions in catalog order. */
    jsonFromMask(mask: PermissionMask): Record<R, Action[]> {
      const json = {} as Record<R, Action[]>;
      for (const resource of resources) json[resource] = ACTIONS.filter((action) => (mask & bit(resource, action)) !== 0n);
      return json;
    },
  };
}

const algebra = createPermissionAlgebra(RESOURCES);

export const ALL_PERMISSIONS: PermissionMask = algebra.ALL;
export const ALL_SCOPES: readonly ScopeInfo[] = algebra.ALL_SCOPES;
export const isResource = algebra.isResource;
export const bit = algebra.bit;
export const holds = algebra.holds;
export const scopesOf: (mask: PermissionMask) => Scope[] = algebra.scopesOf;
export const missingScopes: (held: PermissionMask, required: PermissionMask) => Scope[] = algebra.missingScopes;
export const maskFromScopes = algebra.maskFromScopes;
export const maskFromJson: (json: PermissionsJson | null | undefined) => PermissionMask = algebra.maskFromJson;
export const jsonFromMask: (mask: PermissionMask) => Record<Resource, Action[]> = algebra.jsonFromMask;

export function scopeOf(resource: Resource, action: Action): Scope {
  return `${resource}:${action}`;
}

/** Every action on the given resources. */
export function everyAction(resources: readonly Resource[], actions: readonly Action[] = ACTIONS): PermissionMask {
  let mask = 0n;
  for (const r of resources) for (const a of actions) mask |= bit(r, a);
  return mask;
}

/** Compact JSON for storage: only resources that hold something. */
export function storedJsonFromMask(mask: PermissionMask): PermissionsJson {
  const json: PermissionsJson = {};
  for (const [resource, actions] of Object.entries(jsonFromMask(mask)) as [Resource, Action[]][]) {
    if (actions.length > 0) json[resource] = actions;
  }
  return json;
}

export function diffScopes(before: PermissionMask, after: PermissionMask): { added: Scope[]; removed: Scope[] } {
  return { added: scopesOf(after & ~before), removed: scopesOf(before & ~after) };
}
