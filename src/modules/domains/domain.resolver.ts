import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ModuleContext } from '../context';
import type { DomainService } from './domain.service';
import { Requires } from '../../graphql/requires.directive';
import { Domain } from './domain.entity';
import { domainRules, DOMAIN_OPERATIONS } from './domain.rules';
import { capabilitiesType } from '../../graphql/types/capabilities';
import { evaluateCapabilities } from '../../kernel/capabilities';

const DomainViewerCan = capabilitiesType('Domain', {
  verify: 'verifyDomain: check its TXT record now.',
  delete: 'deleteDomain: remove it (with force: true, its links too).',
});

/**
 * What a domain's fields need of its links: their count per domain, batched per request. The
 * short-links feature loads it (`linkCounts`); domains names the loader, not the feature.
 */
interface LinkCountLoaders {
  linkCounts: { load(domainId: string): Promise<number> };
}

type Context = ModuleContext<{ domains: DomainService }, LinkCountLoaders>;

@Resolver(() => Domain)
export class DomainResolver {
  @Query(() => [Domain], { description: 'Your organization’s custom domains, newest first.' })
  @Requires('domains', 'read')
  domains(@Ctx() ctx: Context) {
    return ctx.services.domains.list(ctx.caller);
  }

  @Mutation(() => Domain, { description: 'Registers a hostname; add its verificationRecord as a DNS TXT record, then verifyDomain.' })
  @Requires(DOMAIN_OPERATIONS.createDomain)
  createDomain(@Arg('hostname') hostname: string, @Ctx() ctx: Context) {
    return ctx.services.domains.create(ctx.caller, hostname);
  }

  @Mutation(() => Domain, { description: 'Checks the TXT record; links on the domain redirect once it is verified.' })
  @Requires(DOMAIN_OPERATIONS.verifyDomain)
  verifyDomain(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.services.domains.verify(ctx.caller, id);
  }

  @Mutation(() => ID, { description: 'Refused (CONFLICT) while links use the domain, unless force: true deletes them too.' })
  @Requires(DOMAIN_OPERATIONS.deleteDomain)
  deleteDomain(
    @Arg('id', () => ID) id: string,
    @Arg('force', () => Boolean, { nullable: true, defaultValue: false }) force: boolean,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.domains.delete(ctx.caller, id, force ?? false);
  }

  @FieldResolver(() => DomainViewerCan, { description: 'What you may do to this domain now, and why not where you may not.' })
  async viewerCan(@Root() domain: Domain, @Ctx() ctx: Context) {
    return evaluateCapabilities(domainRules(ctx.principal, ctx.access, await ctx.loaders.linkCounts.load(domain.id)));
  }

  @FieldResolver(() => Int)
  linkCount(@Root() domain: Domain, @Ctx() ctx: Context) {
    return ctx.loaders.linkCounts.load(domain.id);
  }
}
