import DataLoader from 'dataloader';
import type { LoaderContext } from '../../core/loaders';
import { StatsService, type LinkStatsResult, type StatsInterval } from './stats.service';

/** One statement per page of links (and per distinct range asked), whatever the page size. */
export function statsLoaders({ dataSource, principal }: LoaderContext) {
  const linkStatsByRange = new Map<string, DataLoader<string, LinkStatsResult>>();
  const linkStats = (interval: StatsInterval, from: Date | null, to: Date | null) => {
    const key = `${interval}|${from?.toISOString() ?? ''}|${to?.toISOString() ?? ''}`;
    let loader = linkStatsByRange.get(key);
    if (!loader) {
      loader = new DataLoader<string, LinkStatsResult>((ids) =>
        StatsService.forLinks(dataSource, principal.orgId, ids, { from, to }, interval),
      );
      linkStatsByRange.set(key, loader);
    }
    return loader;
  };
  return { linkStats };
}

export type StatsLoaders = ReturnType<typeof statsLoaders>;
