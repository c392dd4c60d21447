import { Ctx, FieldResolver, Query, Resolver } from 'type-graphql';
import { actingUserId } from '../../auth/principal';
import type { ModuleContext } from '../context';
import type { ApiKeyLoaders } from '../api-keys/api-key.loaders';
import type { MemberLoaders } from '../members/member.loaders';
import type { OrganizationLoaders } from '../organizations/organization.loaders';
import { Public } from '../../graphql/requires.directive';
import { PrincipalKindEnum } from '../../graphql/types/actor.type';
import { PermissionSet } from '../../graphql/types/access.types';
import { ApiKey } from '../api-keys/api-key.entity';
import { User } from '../members/user.entity';
import { Organization } from '../organizations/organization.entity';
import { PermissionInfo, Viewer, ViewerMembership } from './viewer.types';
import type { MemberService } from '../members/member.service';
import { Role } from '../../kernel/access';

type Context = ModuleContext<{ members: MemberService }, MemberLoaders & ApiKeyLoaders & OrganizationLoaders>;

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

  @FieldResolver(() => Role, {
    nullable: true,
    description: 'The signed-in person’s role in this organization; for a USER key, its owner’s; null for BOT keys.',
  })
  role(@Ctx() ctx: Context): Role | null {
    return ctx.principal.kind === 'USER' ? ctx.principal.role : ctx.principal.ownerRole;
  }

  @FieldResolver(() => [ViewerMembership], {
    description:
      'For a signed-in person: every organization they belong to (pick one per request with the x-keygate-org header). A key belongs to one organization and sees none here.',
  })
  async organizations(@Ctx() ctx: Context): Promise<ViewerMembership[]> {
    if (ctx.principal.kind !== 'USER') return [];
    const memberships = await ctx.services.members.membershipsOf(ctx.caller, ctx.principal.userId);
    // membershipsOf joins each membership's organization.
    return memberships.map((m) => ({ organization: m.organization as Organization, role: m.role }));
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
