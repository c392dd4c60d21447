import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { AccessModel } from '../../kernel/access';
import { ACTIONS, type Action, type PermissionMask } from '../../kernel/permissions';

/**
 * The GraphQL face of the permission model. The resources come from the modules that declare
 * them, so the enum values and the per-resource fields of Permissions / PermissionsInput are
 * registered from the access model when the schema is built (`registerAccessTypes`), in the
 * modules' order; nothing here lists a resource.
 */
export const ActionEnum = Object.fromEntries(ACTIONS.map((a) => [a, a])) as { [A in Action]: A };
export const ResourceEnum: Record<string, string> = {};
registerEnumType(ActionEnum, { name: 'Action', description: 'What a permission allows on its resource.' });
registerEnumType(ResourceEnum, { name: 'Resource', description: 'What a permission is about.' });

@ObjectType('Permissions', { description: 'A set of permissions in the shape { stats: [read] }, plus the flat scope list.' })
export class PermissionSet {
  [resource: string]: Action[] | string[];
  declare scopes: string[];

  static from(access: AccessModel, mask: PermissionMask): PermissionSet {
    return Object.assign(new PermissionSet(), access.jsonFromMask(mask), { scopes: access.scopesOf(mask) });
  }
}

@InputType('PermissionsInput', { description: 'Permissions to grant; omitted resources get nothing.' })
export class PermissionsInput {
  [resource: string]: Action[] | undefined;
}

const registered = new Set<string>();

/** Adds each resource of `access` to the enum and the two types, once; `scopes` last. */
export function registerAccessTypes(access: AccessModel): void {
  for (const { name } of access.resources) {
    if (registered.has(name)) continue;
    registered.add(name);
    ResourceEnum[name] = name;
    Field(() => [ActionEnum])(PermissionSet.prototype, name);
    Field(() => [ActionEnum], { nullable: true })(PermissionsInput.prototype, name);
  }
  if (!registered.has('scopes')) {
    registered.add('scopes');
    Field(() => [String], { description: 'e.g. ["stats:read", "shortLinks:create"]' })(PermissionSet.prototype, 'scopes');
  }
}
