import { defineResource } from '../../kernel/access';
import { defineModule } from '../../core/module';
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
  audit: [SHORT_LINK_AUDIT],
  services: ({ dataSource, changes }) => ({ shortLinks: new ShortLinkService(dataSource, changes) }),
});
