import { ApiKeyDirectory } from './key.directory';
import { API_KEY_OPERATIONS } from './api-key.rules';
import { apiKeyLoaders } from './api-key.loaders';
import { defineResource } from '../../kernel/access';
import { defineModule } from '../../core/module';
import { ApiKeySecret } from './api-key-secret.entity';
import { ApiKeyUsage } from './api-key-usage.entity';
import { API_KEY_AUDIT } from './api-key.audit';
import { ApiKey } from './api-key.entity';
import { ApiKeyQueries } from './api-key.queries';
import { ApiKeyResolver } from './api-key.resolver';
import { ApiKeyService } from './api-key.service';
import { ExpiryNotifier } from './expiry-notifier';
import { UsageRecorder } from './usage-recorder';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    apiKeys: true;
  }
}

/** API keys are for admins: MEMBER and VIEWER hold nothing on them (nor on the audit log). */
export const apiKeysModule = defineModule({
  name: 'apiKeys',
  resources: [
    defineResource({
      name: 'apiKeys',
      description: 'API keys and the audit log',
      actions: ['create', 'read', 'update', 'delete'],
      roles: {},
    }),
  ],
  entities: [ApiKey, ApiKeySecret, ApiKeyUsage],
  resolvers: [ApiKeyResolver],
  operations: API_KEY_OPERATIONS,
  loaders: apiKeyLoaders,
  authDirectories: ({ dataSource }) => ({ keys: new ApiKeyDirectory(dataSource) }),
  audit: [API_KEY_AUDIT],
  services: ({ dataSource, keyFormat, access, eventLog, changes, reportDrops }) => ({
    apiKeys: new ApiKeyService(keyFormat, access, changes),
    apiKeyQueries: new ApiKeyQueries(dataSource),
    usage: new UsageRecorder(dataSource, 100_000, reportDrops('usage')),
    expiry: new ExpiryNotifier(dataSource, eventLog),
  }),
});
