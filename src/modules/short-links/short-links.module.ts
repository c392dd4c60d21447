import { SHORT_LINK_OPERATIONS } from './short-link.rules';
import { shortLinkLoaders } from './short-link.loaders';
import { defineResource } from '../../kernel/access';
import { builtService, defineModule } from '../../core/module';
import { registerRedirectRoute, type RedirectObserver } from './redirect.route';
import { SHORT_LINK_AUDIT } from './short-link.audit';
import { ShortLink } from './short-link.entity';
import { ShortLinkResolver } from './short-link.resolver';
import { ShortLinkService } from './short-link.service';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    shortLinks: true;
  }
}

export const shortLinksModule = defineModule({
  name: 'shortLinks',
  resources: [
    defineResource({
      name: 'shortLinks',
      description: 'short links',
      actions: ['create', 'read', 'update', 'delete'],
      roles: { MEMBER: ['create', 'read', 'update', 'delete'], VIEWER: ['read'] },
    }),
  ],
  entities: [ShortLink],
  resolvers: [ShortLinkResolver],
  operations: SHORT_LINK_OPERATIONS,
  loaders: shortLinkLoaders,
  audit: [SHORT_LINK_AUDIT],
  services: ({ dataSource, changes }) => ({ shortLinks: new ShortLinkService(dataSource, changes) }),
  // The redirect tells whoever serves `clicks` (the stats feature) about each click.
  routes: (server, { dataSource, services }) =>
    registerRedirectRoute(server, { dataSource, observer: builtService<RedirectObserver>(services, 'clicks', 'short-links') }),
});
