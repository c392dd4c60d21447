import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { Requires } from '../../graphql/requires.directive';
import type { ModuleContext } from '../context';
import type { ShortLinkLoaders } from '../short-links/short-link.loaders';
import { ShortLink } from '../short-links/short-link.entity';
import { LinkClicks } from './stats.types';

/**
 * A top link's fields are short-link data: reading them needs shortLinks:read besides the
 * stats:read that reached the list. A stats:read-only key sees each top link's id and clicks, and
 * `link` null with FORBIDDEN (nullable so the rest of the stats stay). The link is loaded within
 * the caller's organization, one statement for the whole list.
 */
@Resolver(() => LinkClicks)
export class LinkClicksResolver {
  @FieldResolver(() => ShortLink, { nullable: true, description: 'The link; null if it was deleted since.' })
  @Requires('shortLinks', 'read')
  link(@Root() row: LinkClicks, @Ctx() ctx: ModuleContext<object, ShortLinkLoaders>) {
    return ctx.loaders.shortLinks.load(row.linkId);
  }
}
