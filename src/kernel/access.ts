import { createPermissionAlgebra, type Action, type PermissionAlgebra, type PermissionMask, type Resource } from './permissions';

export enum Role {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (Object.values(Role) as string[]).includes(value);
}

/** A guarded resource, as its feature module declares it. */
export interface ResourceDefinition {
  name: Resource;
  /** What it is, for the permission catalog: "short links", "custom domains". */
  description: string;
  /** The actions that exist for it; only these are scopes. */
  actions: readonly Action[];
  /** What MEMBER and VIEWER hold of it (OWNER and ADMIN hold every scope). */
  roles: { readonly MEMBER?: readonly Action[]; readonly VIEWER?: readonly Action[] };
  /** Declared for a feature still to come: its scopes can be granted but guard no field yet. */
  reserved?: boolean;
}

export function defineResource<const R extends ResourceDefinition>(definition: R): R {
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    for (const action of definition.roles[role] ?? []) {
      if (!definition.actions.includes(action))
        throw new Error(`${definition.name}: ${role} holds ${action}, which the resource does not declare`);
    }
  }
  return definition;
}

const ACTION_TEXT: Record<Action, string> = { create: 'Create', read: 'Read', update: 'Change', delete: 'Delete' };

/**
 * Everything about permissions that depends on which resources exist: the algebra over their
 * scopes and what each role holds. Built once from the module list and handed to whatever needs
 * it (authentication, the schema, services), so nothing below the modules imports them.
 */
export interface AccessModel extends PermissionAlgebra {
  resources: readonly ResourceDefinition[];
  roles: Record<Role, PermissionMask>;
  /** "Read short links." — for the catalog, from the resource's own description. */
  describe(resource: string, action: Action): string;
}

export function createAccessModel(resources: readonly ResourceDefinition[]): AccessModel {
  const algebra = createPermissionAlgebra(resources);
  const held = (role: 'MEMBER' | 'VIEWER') =>
    resources.reduce((mask, r) => (r.roles[role] ?? []).reduce((m, action) => m | algebra.bit(r.name, action), mask), 0n);
  const text = new Map(resources.map((r) => [r.name as string, r]));
  return {
    ...algebra,
    resources,
    roles: { [Role.OWNER]: algebra.ALL, [Role.ADMIN]: algebra.ALL, [Role.MEMBER]: held('MEMBER'), [Role.VIEWER]: held('VIEWER') },
    describe(resource, action) {
      const r = text.get(resource);
      const reserved = r?.reserved ? ' (reserved: guards nothing yet)' : '';
      return `${ACTION_TEXT[action]} ${r?.description ?? resource}.${reserved}`;
    },
  };
}
