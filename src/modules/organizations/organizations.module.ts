import type { ApiKeyService } from '../api-keys/api-key.service';
import { organizationLoaders } from './organization.loaders';
import { builtService, defineModule } from '../../core/module';
import { ORGANIZATION_AUDIT } from './organization.audit';
import { Organization } from './organization.entity';
import { OrganizationService } from './organization.service';

/** Organizations themselves: created by the CLI or the first start, never through GraphQL. */
export const organizationsModule = defineModule({
  name: 'organizations',
  entities: [Organization],
  loaders: organizationLoaders,
  audit: [ORGANIZATION_AUDIT],
  services: ({ dataSource, access, changes, invalidator }, built) => ({
    organizations: new OrganizationService(
      dataSource,
      builtService<ApiKeyService>(built, 'apiKeys', 'organizations'),
      access,
      changes,
      invalidator,
    ),
  }),
});
