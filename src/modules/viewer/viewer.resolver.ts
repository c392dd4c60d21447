import { Ctx, FieldResolver, Query, Resolver } from 'type-graphql';
import type { Action, Resource } from '../../auth/permissions';
import { actingUserId } from '../../auth/principal';
import type { GraphQLContext } from '../../graphql/context';
import { Public } from '../../graphql/requires.directive';
import { PrincipalKindEnum } from '../../graphql/types/actor.type';
import { PermissionSet } from '../../graphql/types/permissions.type';
import { ApiKey } from '../api-keys/api-key.entity';
import { User } from '../members/user.entity';
import { Organization } from '../organizations/organization.entity';
import { PermissionInfo, Viewer } from './viewer.types';

const RESOURCE_TEXT: Record<Resource, string> = {
  shortLinks: 'short links',
  domains: 'custom domains',
  stats: 'click statistics',
  files: 'uploaded files',
  apiKeys: 'API keys and the audit log',
  webhooks: 'webhook endpoints',
  members: 'organization members',
};
const ACTION_TEXT: Record<Action, string> = { create: 'Create', read: 'Read', update: 'Change', delete: 'Delete' };

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The principal making this request. Any authenticated principal may ask.' })
  @Public()
  viewer(@Ctx() ctx: GraphQLContext): Viewer {
    return { kind: ctx.principal.kind === 'USER' ? PrincipalKindEnum.USER : PrincipalKindEnum.API_KEY };
  }

  @Query(() => [PermissionInfo], { description: 'Every scope and the fields it guards, generated from the schema’s @requires usages.' })
  @Public()
  permissionCatalog(@Ctx() ctx: GraphQLContext): PermissionInfo[] {
    return ctx.catalog.map((entry) => ({
      ...entry,
      description: `${ACTION_TEXT[entry.action]} ${RESOURCE_TEXT[entry.resource]}.`,
    }));
  }

  @FieldResolver(() => Organization)
  async organization(@Ctx() ctx: GraphQLContext) {
    return ctx.loaders.organizations.load(ctx.principal.orgId);
  }

  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: GraphQLContext) {
    const userId = actingUserId(ctx.principal);
    return userId ? ctx.loaders.users.load(userId) : null;
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The key making this request, when it is a key.' })
  apiKey(@Ctx() ctx: GraphQLContext) {
    return ctx.principal.kind === 'API_KEY' ? ctx.loaders.apiKeys.load(ctx.principal.keyId) : null;
  }

  @FieldResolver(() => PermissionSet, { description: 'Effective permissions of this request.' })
  permissions(@Ctx() ctx: GraphQLContext) {
    return PermissionSet.of(ctx.principal.permissions);
  }
}
