import { ACTIONS, ALL_SCOPES, RESOURCES, type Action, type Resource, type Scope } from '../../src/auth/permissions';

/**
 * Resource and scope lists for expectations, derived from keygate's own resource list so that a
 * new resource needs no edit in any suite. What is written out here is the rule, not the list:
 * apiKeys and members are administration; every other resource is a product resource, which a
 * MEMBER may change and a VIEWER may read (README "Permissions and roles").
 */
export { ACTIONS, RESOURCES };

export const ADMIN_RESOURCES: readonly Resource[] = ['apiKeys', 'members'];
export const PRODUCT_RESOURCES: readonly Resource[] = RESOURCES.filter((r) => !ADMIN_RESOURCES.includes(r));

/** Every scope, in catalog order. */
export const EVERY_SCOPE: Scope[] = ALL_SCOPES.map((s) => s.scope);

/** The scopes of `resource` (all its actions unless `actions` narrows them), in catalog order. */
export function scopesOfResource(resource: Resource, actions: readonly Action[] = ACTIONS): Scope[] {
  return ALL_SCOPES.filter((s) => s.resource === resource && actions.includes(s.action)).map((s) => s.scope);
}

/** What the MEMBER role holds: every action on the product resources, in catalog order. */
export const MEMBER_SCOPES: Scope[] = ALL_SCOPES.filter((s) => PRODUCT_RESOURCES.includes(s.resource)).map((s) => s.scope);

/** What the VIEWER role holds: read on the product resources, in catalog order. */
export const VIEWER_SCOPES: Scope[] = ALL_SCOPES.filter((s) => PRODUCT_RESOURCES.includes(s.resource) && s.action === 'read').map((s) => s.scope);

/**
 * The per-resource shape of `Permissions` (and of canonical permission JSON): every resource
 * present, with the given actions and none elsewhere.
 */
export function permissionsShape(actions: Partial<Record<Resource, readonly Action[]>> = {}): Record<Resource, Action[]> {
  return Object.fromEntries(RESOURCES.map((r) => [r, [...(actions[r] ?? [])]])) as Record<Resource, Action[]>;
}

/** Every resource with no action. */
export const NO_ACTIONS = permissionsShape();

/** Every resource with every action. */
export const EVERY_ACTION = permissionsShape(Object.fromEntries(RESOURCES.map((r) => [r, ACTIONS])));
