import { WEBHOOK_OPERATIONS } from './webhook.rules';
import { defineResource } from '../../kernel/access';
import { defineModule } from '../../core/module';
import { secretBoxFor } from './secret-box';
import { defaultLookup, type Lookup } from './ssrf-guard';
import { WebhookDeliverer } from './webhook-deliverer';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';
import { WebhookOutbox } from './webhook-outbox';
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

declare module '../../core/module' {
  interface Overrides {
    /** Address lookups for webhook URLs (at save and at connect time); the system resolver by default. */
    webhookLookup: Lookup;
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
  operations: WEBHOOK_OPERATIONS,
  audit: [WEBHOOK_AUDIT],
  async services({ dataSource, config, access, eventLog, changes, events, overrides }) {
    const { isProduction, webhooks } = config;
    const secretBox = await secretBoxFor(config);
    const lookup = overrides.webhookLookup ?? defaultLookup;
    const sender = new WebhookSender({ lookup, allowPrivate: webhooks.allowPrivate, timeoutMs: webhooks.timeoutMs });
    const deliverer = new WebhookDeliverer(dataSource, secretBox, sender, eventLog, {
      retrySchedule: webhooks.retrySchedule,
      maxConsecutiveFailures: webhooks.maxConsecutiveFailures,
    });
    const guard = { isProduction, allowPrivate: webhooks.allowPrivate, lookup };
    return { webhooks: new WebhookService(dataSource, access, events, secretBox, guard, deliverer, changes), deliverer };
  },
  eventSinks: ({ access }) => [new WebhookOutbox(access)],
});
