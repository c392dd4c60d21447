import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { ModuleContext } from '../context';
import type { StatsService } from './stats.service';
import { Requires } from '../../graphql/requires.directive';
import { Cost } from '../../graphql/cost';
import { STATS_RANGE_COST } from './stats.cost';
import { StatsInterval } from './stats.service';
import { LinkStats, StatsFilter } from './stats.types';

type Context = ModuleContext<{ stats: StatsService }>;

@Resolver()
export class StatsResolver {
  @Query(() => LinkStats, { description: 'Clicks over time, and top links, referrers, countries, user agents and devices.' })
  @Requires('stats', 'read')
  @Cost(STATS_RANGE_COST)
  stats(
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Arg('interval', () => StatsInterval, { nullable: true, defaultValue: StatsInterval.DAY }) interval: StatsInterval,
    @Ctx() ctx: Context,
  ) {
    return ctx.services.stats.stats(ctx.caller, filter, interval ?? StatsInterval.DAY);
  }
}
