import type { FieldCost } from '../../graphql/cost';
import { bucketCount, StatsInterval, TOP_VALUES } from './stats.service';

/** Items a stats `series` can hold at most: 366 days of hours, plus the partial bucket at each end. */
const MAX_BUCKETS = 366 * 24 + 1;

/**
 * What stats cost: a stats field (`ShortLink.stats(interval, from, to)` or `stats(interval,
 * filter: { from, to })`) fixes how many buckets its `series` holds; the series costs that many,
 * each top list its 10 values. A range the resolver will refuse still costs no less than the
 * largest one it accepts.
 */
export const STATS_RANGE_COST: FieldCost = {
  sets(args) {
    const filter = (args.filter ?? {}) as { from?: unknown; to?: unknown };
    const asDate = (v: unknown) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : null);
    const interval = args.interval === StatsInterval.HOUR ? StatsInterval.HOUR : StatsInterval.DAY;
    const count = bucketCount(interval, asDate(args.from ?? filter.from), asDate(args.to ?? filter.to));
    return { buckets: Math.min(Math.max(1, count), MAX_BUCKETS) };
  },
};

/** A link's own stats (`ShortLink.stats`): the range's buckets, and that link as the only top link. */
export const LINK_STATS_RANGE_COST: FieldCost = {
  sets: (args) => ({ ...STATS_RANGE_COST.sets!(args), topLinks: 1 }),
};

export const SERIES_COST: FieldCost = { items: (_args, scope) => scope.buckets ?? MAX_BUCKETS };
export const TOP_LIST_COST: FieldCost = { items: () => TOP_VALUES };
/** `topLinks`: 10, or the one link of a link's own stats. */
export const TOP_LINKS_COST: FieldCost = { items: (_args, scope) => scope.topLinks ?? TOP_VALUES };
