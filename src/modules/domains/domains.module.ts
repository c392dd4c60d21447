import { DOMAIN_OPERATIONS } from './domain.rules';
import { domainLoaders } from './domain.loaders';
import { defineResource } from '../../kernel/access';
import { builtService, defineModule } from '../../core/module';
import { DOMAIN_AUDIT } from './domain.audit';
import { Domain } from './domain.entity';
import { DomainResolver } from './domain.resolver';
import { DomainService, systemTxtResolver, type LinksOnDomain, type TxtResolver } from './domain.service';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    domains: true;
  }
}

declare module '../../core/module' {
  interface Overrides {
    /** DNS TXT lookups for domain verification; the system resolver by default. */
    txtResolver: TxtResolver;
  }
}

export const domainsModule = defineModule({
  name: 'domains',
  resources: [
    defineResource({
      name: 'domains',
      description: 'custom domains',
      actions: ['create', 'read', 'update', 'delete'],
      roles: { MEMBER: ['create', 'read', 'update', 'delete'], VIEWER: ['read'] },
    }),
  ],
  entities: [Domain],
  resolvers: [DomainResolver],
  operations: DOMAIN_OPERATIONS,
  loaders: domainLoaders,
  audit: [DOMAIN_AUDIT],
  services: ({ dataSource, access, config, changes, overrides }, built) => {
    // keygate's own host names cannot be claimed as a custom domain.
    const ownHostnames = new Set(['localhost', new URL(config.publicUrl).hostname.toLowerCase()]);
    const links = builtService<LinksOnDomain>(built, 'shortLinks', 'domains');
    return { domains: new DomainService(dataSource, access, overrides.txtResolver ?? systemTxtResolver, ownHostnames, changes, links) };
  },
});
