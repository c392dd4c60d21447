import { defineOperations } from '../../core/module';

/**
 * The scope each mutation of this feature needs, declared once: the resolver's `@Requires`, the
 * service's `changes.run` (checked again at commit) and the manifest take it from here, and the
 * schema refuses to build when a mutation's `@requires` differs.
 */
export const WEBHOOK_OPERATIONS = defineOperations({
  createWebhook: 'webhooks:create',
  updateWebhook: 'webhooks:update',
  rotateWebhookSecret: 'webhooks:update',
  deleteWebhook: 'webhooks:delete',
  testWebhook: 'webhooks:update',
  redeliverWebhookDelivery: 'webhooks:update',
});
