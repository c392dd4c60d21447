import { defineResource } from '../../kernel/access';
import { defineModule } from '../module';
import { resolveEncryptionKey, SecretBox } from './secret-box';
import { defaultLookup } from './ssrf-guard';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookSender } from './webhook-sender';
import { WEBHOOK_AUDIT } from './webhook.audit';
import { Webhook } from './webhook.entity';
import { WebhookResolver } from './webhook.resolver';
import { WebhookService } from './webhook.service';

declare module '../../kernel/permissions' {
  interface ResourceRegistry {
    webhooks: true;
  }
}

export const webhooksModule = defineModule({
  name: 'webhooks',
  resources: [
    defineResource({
      name: 'webhooks',
      description: 'webhook endpoints',
      actions: ['create', 'read', 'update', 'delete'],
      roles: { MEMBER: ['create', 'read', 'update', 'delete'], VIEWER: ['read'] },
    }),
  ],
  entities: [Webhook, WebhookEvent, WebhookDelivery],
  resolvers: [WebhookResolver],
  audit: [WEBHOOK_AUDIT],
  async services({ dataSource, config, access, audit, changes, events, webhookLookup }) {
    const { encryptionKey, dataDir, isProduction, webhooks } = config;
    const secretBox = new SecretBox(await resolveEncryptionKey({ encryptionKey, dataDir, isProduction }));
    const lookup = webhookLookup ?? defaultLookup;
    const sender = new WebhookSender({ lookup, allowPrivate: webhooks.allowPrivate, timeoutMs: webhooks.timeoutMs });
    const deliverer = new WebhookDeliverer(dataSource, secretBox, sender, audit, {
      retrySchedule: webhooks.retrySchedule,
      maxConsecutiveFailures: webhooks.maxConsecutiveFailures,
    });
    const guard = { isProduction, allowPrivate: webhooks.allowPrivate, lookup };
    return { webhooks: new WebhookService(dataSource, access, events, secretBox, guard, deliverer, changes), deliverer };
  },
});
