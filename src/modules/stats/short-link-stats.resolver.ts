import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { Cost } from '../../graphql/cost';
import { Requires } from '../../graphql/requires.directive';
import type { ModuleContext } from '../context';
import { ShortLink } from '../short-links/short-link.entity';
import { LINK_STATS_RANGE_COST } from './stats.cost';
import type { StatsLoaders } from './stats.loaders';
import { StatsInterval } from './stats.service';
import { LinkStats } from './stats.types';

/**
 * What the stats feature adds to a short link: its clicks and its stats. They live here, not
 * with the link: stats build on short links, and a link knows nothing of its statistics.
 */
@Resolver(() => ShortLink)
export class ShortLinkStatsResolver {
  // Nullable on purpose: a caller without stats:read still sees the link, with a FORBIDDEN
  // here; a non-null field would null the whole link instead.
  @FieldResolver(() => Int, { nullable: true, description: 'Total redirects (written every few seconds).' })
  @Requires('stats', 'read')
  clicks(@Root() link: ShortLink): number {
    return link.clickCount;
  }

  @FieldResolver(() => LinkStats, {
    nullable: true,
    description: 'Clicks over time and top referrers, countries, user agents and devices of this link.',
  })
  @Requires('stats', 'read')
  @Cost(LINK_STATS_RANGE_COST)
  stats(
    @Root() link: ShortLink,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Arg('interval', () => StatsInterval, { nullable: true, defaultValue: StatsInterval.DAY }) interval: StatsInterval,
    @Ctx() ctx: ModuleContext<object, StatsLoaders>,
  ) {
    return ctx.loaders.linkStats(interval ?? StatsInterval.DAY, from, to).load(link.id);
  }
}
