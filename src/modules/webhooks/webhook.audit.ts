import { defineAudit } from '../../core/audit-catalog';

export const WEBHOOK_AUDIT = defineAudit({
  targetType: 'WEBHOOK',
  resource: 'webhooks',
  actions: {
    WEBHOOK_CREATED: 'webhook.created',
    WEBHOOK_UPDATED: 'webhook.updated',
    WEBHOOK_SECRET_ROTATED: 'webhook.secretRotated',
    WEBHOOK_DELETED: 'webhook.deleted',
    WEBHOOK_DISABLED: 'webhook.disabled',
    WEBHOOK_REDELIVERED: 'webhook.redelivered',
  },
});
