import { Field, ObjectType } from 'type-graphql';
import { ActionEnum, ResourceEnum } from '../../graphql/types/access.types';
import type { Action } from '../../kernel/permissions';
import { PrincipalKindEnum } from '../../graphql/types/actor.type';
import { Role } from '../../kernel/access';
import { Organization } from '../organizations/organization.entity';

@ObjectType({ description: 'Who is calling. `user` is the signed-in user or the owner of a USER key.' })
export class Viewer {
  @Field(() => PrincipalKindEnum) kind: PrincipalKindEnum;
}

@ObjectType({ description: 'One organization the signed-in person belongs to, and their role there.' })
export class ViewerMembership {
  @Field(() => Organization) organization: Organization;
  @Field(() => Role) role: Role;
}

@ObjectType()
export class PermissionInfo {
  @Field({ description: 'e.g. "shortLinks:read"' }) scope: string;
  @Field(() => ResourceEnum) resource: string;
  @Field(() => ActionEnum) action: Action;
  @Field() description: string;
  @Field(() => [String], { description: 'Schema coordinates guarded by this scope, e.g. "Query.apiKeys".' })
  fields: string[];
}
