import { statsLoaders } from './stats.loaders';
import { ShortLinkStatsResolver } from './short-link-stats.resolver';
import { defineResource } from '../../kernel/access';
import { defineModule } from '../../core/module';
import { ClickRecorder } from './click-recorder';
import { LinkClick } from './link-click.entity';
import { LinkClicksResolver } from './link-clicks.resolver';
import { StatsResolver } from './stats.resolver';
import { StatsService } from './stats.service';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    stats: true;
  }
}

/** Click statistics are only ever read: clicks are recorded by redirects, not by principals. */
export const statsModule = defineModule({
  name: 'stats',
  resources: [
    defineResource({ name: 'stats', description: 'click statistics', actions: ['read'], roles: { MEMBER: ['read'], VIEWER: ['read'] } }),
  ],
  entities: [LinkClick],
  resolvers: [StatsResolver, ShortLinkStatsResolver, LinkClicksResolver],
  loaders: statsLoaders,
  services: ({ dataSource, reportDrops, config }) => ({
    stats: new StatsService(dataSource),
    clicks: new ClickRecorder(dataSource, 100_000, reportDrops('click'), undefined, config.clickCountryHeader),
  }),
});
