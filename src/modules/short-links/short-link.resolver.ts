import { SHORT_LINK_OPERATIONS } from './short-link.rules';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { ModuleContext } from '../context';
import type { ApiKeyLoaders } from '../api-keys/api-key.loaders';
import type { DomainLoaders } from '../domains/domain.loaders';
import type { ShortLinkService } from './short-link.service';
import { Requires } from '../../graphql/requires.directive';
import { Actor } from '../../graphql/types/actor.type';
import { Connection, toConnection } from '../../graphql/types/connection';
import { selectedNodeFields } from '../../graphql/selection';
import { capabilitiesType } from '../../graphql/types/capabilities';
import { evaluateCapabilities, scopeRules } from '../../kernel/capabilities';
import { Domain } from '../domains/domain.entity';
import { ShortLink } from './short-link.entity';
import { CreateShortLinkInput, ShortLinkFilter, UpdateShortLinkInput } from './short-link.input';

type Context = ModuleContext<{ shortLinks: ShortLinkService }, DomainLoaders & ApiKeyLoaders>;

@ObjectType()
class ShortLinkConnection extends Connection(ShortLink) {}

const ShortLinkViewerCan = capabilitiesType('ShortLink', {
  update: 'updateShortLink: change the URL, slug or expiry.',
  delete: 'deleteShortLink: remove the link.',
});

@ArgsType()
class ShortLinksArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20 }) first: number;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => ShortLinkFilter, { nullable: true }) filter?: ShortLinkFilter | null;
}

@Resolver(() => ShortLink)
export class ShortLinkResolver {
  @Query(() => ShortLinkConnection, { description: 'Your organization’s short links, newest first.' })
  @Requires('shortLinks', 'read')
  async shortLinks(@Args() args: ShortLinksArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    // The page query also reads the relations the operation selects; the loaders are primed with them.
    const page = await ctx.services.shortLinks.list(ctx.caller, args, selectedNodeFields(info));
    ctx.loaders.prime(page.related);
    return toConnection(page);
  }

  @Query(() => ShortLink, { nullable: true })
  @Requires('shortLinks', 'read')
  shortLink(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.shortLinks.get(ctx.caller, id);
  }

  @Mutation(() => ShortLink)
  @Requires(SHORT_LINK_OPERATIONS.createShortLink)
  createShortLink(@Arg('input', () => CreateShortLinkInput) input: CreateShortLinkInput, @Ctx() ctx: Context) {
    return ctx.services.shortLinks.create(ctx.caller, input);
  }

  @Mutation(() => ShortLink)
  @Requires(SHORT_LINK_OPERATIONS.updateShortLink)
  updateShortLink(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateShortLinkInput) input: UpdateShortLinkInput,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.shortLinks.update(ctx.caller, id, input);
  }

  @Mutation(() => ID)
  @Requires(SHORT_LINK_OPERATIONS.deleteShortLink)
  deleteShortLink(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.shortLinks.delete(ctx.caller, id);
  }

  @FieldResolver(() => Domain, { nullable: true, description: 'Null on the default host.' })
  domain(@Root() link: ShortLink, @Ctx() ctx: Context) {
    return link.domainId ? ctx.loaders.domains.get(link.domainId) : null;
  }

  @FieldResolver(() => ShortLinkViewerCan, { description: 'What you may do to this link now, and why not where you may not.' })
  viewerCan(@Ctx() ctx: Context) {
    return evaluateCapabilities(
      scopeRules(ctx.access, ctx.principal.permissions, {
        update: SHORT_LINK_OPERATIONS.updateShortLink,
        delete: SHORT_LINK_OPERATIONS.deleteShortLink,
      }),
    );
  }

  @FieldResolver(() => Actor, { nullable: true })
  createdBy(@Root() link: ShortLink, @Ctx() ctx: Context) {
    return ctx.loaders.actor(link.createdByKind, link.createdById);
  }
}
