import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import {
  ACTIONS,
  RESOURCES,
  jsonFromMask,
  scopesOf,
  type Action,
  type PermissionMask,
  type PermissionsJson,
  type Resource,
} from '../../auth/permissions';

/** GraphQL enums generated from the one list in auth/permissions.ts. */
export const ResourceEnum = Object.fromEntries(RESOURCES.map((r) => [r, r])) as { [R in Resource]: R };
export const ActionEnum = Object.fromEntries(ACTIONS.map((a) => [a, a])) as { [A in Action]: A };
registerEnumType(ResourceEnum, { name: 'Resource', description: 'What a permission is about.' });
registerEnumType(ActionEnum, { name: 'Action', description: 'What a permission allows on its resource.' });

@ObjectType('Permissions', { description: 'A set of permissions in the shape { stats: [read] }, plus the flat scope list.' })
export class PermissionSet {
  @Field(() => [ActionEnum]) shortLinks: Action[];
  @Field(() => [ActionEnum]) domains: Action[];
  @Field(() => [ActionEnum]) stats: Action[];
  @Field(() => [ActionEnum]) files: Action[];
  @Field(() => [ActionEnum]) apiKeys: Action[];
  @Field(() => [ActionEnum]) webhooks: Action[];
  @Field(() => [ActionEnum]) members: Action[];
  @Field(() => [String], { description: 'e.g. ["stats:read", "shortLinks:create"]' })
  scopes: string[];

  static of(mask: PermissionMask): PermissionSet {
    return Object.assign(new PermissionSet(), jsonFromMask(mask), { scopes: scopesOf(mask) });
  }
}

@InputType('PermissionsInput', { description: 'Permissions to grant; omitted resources get nothing.' })
export class PermissionsInput implements PermissionsJson {
  @Field(() => [ActionEnum], { nullable: true }) shortLinks?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) domains?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) stats?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) files?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) apiKeys?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) webhooks?: Action[];
  @Field(() => [ActionEnum], { nullable: true }) members?: Action[];
}
