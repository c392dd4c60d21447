import { Role } from '../../src/kernel/access';
import { ACTIONS, type Action, type Resource, type Scope } from '../../src/kernel/permissions';
import { KEYGATE } from '../../src/modules';

/**
 * keygate's permission model as the tests use it: derived from the modules' manifests, like
 * everything else, so a new resource needs no edit in any suite. What is written out here is the
 * rule, not the list: apiKeys and members are administration; the others are product resources.
 */
export const ACCESS = KEYGATE.access;
export const ALL_PERMISSIONS = ACCESS.ALL;
export const ALL_SCOPES = ACCESS.ALL_SCOPES;
export const RESOURCES: Resource[] = ACCESS.resources.map((r) => r.name);
export const ROLE_PERMISSIONS = ACCESS.roles;
export const { bit, maskFromScopes, maskFromJson, jsonFromMask, storedJsonFromMask, scopesOf, missingScopes, diffScopes, holds } = ACCESS;
export { ACTIONS };

export const ADMIN_RESOURCES: readonly Resource[] = ['apiKeys', 'members'];
export const PRODUCT_RESOURCES: readonly Resource[] = RESOURCES.filter((r) => !ADMIN_RESOURCES.includes(r));

/** Every scope, in catalog order. */
export const EVERY_SCOPE: Scope[] = ALL_SCOPES.map((s) => s.scope as Scope);

/** The scopes of `resource` (all its actions unless `actions` narrows them), in catalog order. */
export function scopesOfResource(resource: Resource, actions: readonly Action[] = ACTIONS): Scope[] {
  return ALL_SCOPES.filter((s) => s.resource === resource && actions.includes(s.action)).map((s) => s.scope as Scope);
}

/** What the MEMBER role holds: every scope of the product resources, in catalog order. */
export const MEMBER_SCOPES: Scope[] = scopesOf(ROLE_PERMISSIONS[Role.MEMBER]);

/** What the VIEWER role holds: read on the product resources, in catalog order. */
export const VIEWER_SCOPES: Scope[] = scopesOf(ROLE_PERMISSIONS[Role.VIEWER]);

/** The per-resource shape of `Permissions`: every resource present, with the given actions. */
export function permissionsShape(actions: Partial<Record<Resource, readonly Action[]>> = {}): Record<Resource, Action[]> {
  return Object.fromEntries(RESOURCES.map((r) => [r, [...(actions[r] ?? [])]])) as Record<Resource, Action[]>;
}

/** Every resource with no action. */
export const NO_ACTIONS = permissionsShape();

/** Every resource with every action it declares. */
export const EVERY_ACTION = jsonFromMask(ALL_PERMISSIONS);
