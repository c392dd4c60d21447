import { Ctx, FieldResolver, Query, Resolver } from 'type-graphql';
import { actingUserId } from '../../auth/principal';
import type { ModuleContext } from '../context';
import { Public } from '../../graphql/requires.directive';
import { PrincipalKindEnum } from '../../graphql/types/actor.type';
import { PermissionSet } from '../../graphql/types/access.types';
import { ApiKey } from '../api-keys/api-key.entity';
import { User } from '../members/user.entity';
import { Organization } from '../organizations/organization.entity';
import { PermissionInfo, Viewer } from './viewer.types';

type Context = ModuleContext<object>;

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The principal making this request. Any authenticated principal may ask.' })
  @Public()
  viewer(@Ctx() ctx: Context): Viewer {
    return { kind: ctx.principal.kind === 'USER' ? PrincipalKindEnum.USER : PrincipalKindEnum.API_KEY };
  }

  @Query(() => [PermissionInfo], { description: 'Every scope and the fields it guards, generated from the schema’s @requires usages.' })
  @Public()
  permissionCatalog(@Ctx() ctx: Context): PermissionInfo[] {
    return ctx.catalog;
  }

  @FieldResolver(() => Organization)
  async organization(@Ctx() ctx: Context) {
    return ctx.loaders.organizations.load(ctx.principal.orgId);
  }

  @FieldResolver(() => User, { nullable: true })
  user(@Ctx() ctx: Context) {
    const userId = actingUserId(ctx.principal);
    return userId ? ctx.loaders.users.load(userId) : null;
  }

  @FieldResolver(() => ApiKey, { nullable: true, description: 'The key making this request, when it is a key.' })
  apiKey(@Ctx() ctx: Context) {
    return ctx.principal.kind === 'API_KEY' ? ctx.loaders.apiKeys.load(ctx.principal.keyId) : null;
  }

  @FieldResolver(() => PermissionSet, { description: 'Effective permissions of this request.' })
  permissions(@Ctx() ctx: Context) {
    return PermissionSet.from(ctx.access, ctx.principal.permissions);
  }
}
