import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../graphql/context';
import { Requires } from '../../graphql/requires.directive';
import { StatsInterval } from './stats.service';
import { LinkStats, StatsFilter } from './stats.types';

@Resolver()
export class StatsResolver {
  @Query(() => LinkStats, { description: 'Clicks over time and top referrers, countries and user agents.' })
  @Requires('stats', 'read')
  stats(
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Arg('interval', () => StatsInterval, { nullable: true, defaultValue: StatsInterval.DAY }) interval: StatsInterval,
    @Ctx() ctx: GraphQLContext,
  ) {
    return ctx.services.stats.stats(ctx.caller, filter, interval ?? StatsInterval.DAY);
  }
}
