/**
 * Permissions are `resource:action` pairs. In memory a set of them is a bitmask (28 bits), so
 * checking a field is one AND; on disk and on the wire it is the seed's JSON shape,
 * `{ "stats": ["read"], "shortLinks": ["create", "read"] }`.
 */
export const RESOURCES = ['shortLinks', 'domains', 'stats', 'files', 'apiKeys', 'webhooks', 'members'] as const;
export const ACTIONS = ['create', 'read', 'update', 'delete'] as const;

export type Resource = (typeof RESOURCES)[number];
export type Action = (typeof ACTIONS)[number];
export type Scope = `${Resource}:${Action}`;
export type PermissionMask = number;
/** The seed's JSON shape; resources with no actions may be omitted. */
export type PermissionsJson = Partial<Record<Resource, Action[]>>;

export const NO_PERMISSIONS: PermissionMask = 0;
export const ALL_PERMISSIONS: PermissionMask = (1 << (RESOURCES.length * ACTIONS.length)) - 1;

export function isResource(value: unknown): value is Resource {
  return typeof value === 'string' && (RESOURCES as readonly string[]).includes(value);
}
export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && (ACTIONS as readonly string[]).includes(value);
}

export function bit(resource: Resource, action: Action): PermissionMask {
  return 1 << (RESOURCES.indexOf(resource) * ACTIONS.length + ACTIONS.indexOf(action));
}

export function scopeOf(resource: Resource, action: Action): Scope {
  return `${resource}:${action}`;
}

export const ALL_SCOPES: readonly { resource: Resource; action: Action; scope: Scope; mask: PermissionMask }[] =
  RESOURCES.flatMap((resource) =>
    ACTIONS.map((action) => ({ resource, action, scope: scopeOf(resource, action), mask: bit(resource, action) })),
  );

/** True when `held` contains every bit of `required`. */
export function holds(held: PermissionMask, required: PermissionMask): boolean {
  return (held & required) === required;
}

/** The scopes in `required` that `held` lacks, in catalog order. */
export function missingScopes(held: PermissionMask, required: PermissionMask): Scope[] {
  return ALL_SCOPES.filter((s) => (required & s.mask) !== 0 && (held & s.mask) === 0).map((s) => s.scope);
}

export function scopesOf(mask: PermissionMask): Scope[] {
  return ALL_SCOPES.filter((s) => (mask & s.mask) !== 0).map((s) => s.scope);
}

export function maskFromScopes(scopes: readonly Scope[]): PermissionMask {
  let mask = 0;
  for (const scope of scopes) {
    const [resource, action] = scope.split(':');
    if (!isResource(resource) || !isAction(action)) throw new Error(`Unknown scope ${scope}`);
    mask |= bit(resource, action);
  }
  return mask;
}

/**
 * Parses the JSON shape. Unknown resources or actions throw: stored permissions come only from
 * validated input, so anything else means corrupted data and must not widen access silently.
 */
export function maskFromJson(json: PermissionsJson | null | undefined): PermissionMask {
  let mask = 0;
  if (!json) return mask;
  for (const [resource, actions] of Object.entries(json)) {
    if (!isResource(resource)) throw new Error(`Unknown resource ${resource}`);
    for (const action of actions ?? []) {
      if (!isAction(action)) throw new Error(`Unknown action ${String(action)}`);
      mask |= bit(resource, action);
    }
  }
  return mask;
}

/** Canonical JSON: every resource present, actions in catalog order. */
export function jsonFromMask(mask: PermissionMask): Record<Resource, Action[]> {
  const json = {} as Record<Resource, Action[]>;
  for (const resource of RESOURCES) {
    json[resource] = ACTIONS.filter((action) => (mask & bit(resource, action)) !== 0);
  }
  return json;
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
