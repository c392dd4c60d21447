import { defineAudit } from '../../core/audit-catalog';

export const API_KEY_AUDIT = defineAudit({
  targetType: 'API_KEY',
  resource: 'apiKeys',
  actions: {
    API_KEY_CREATED: 'apiKey.created',
    API_KEY_ROTATED: 'apiKey.rotated',
    API_KEY_UPDATED: 'apiKey.updated',
    API_KEY_ENABLED: 'apiKey.updated',
    API_KEY_DISABLED: 'apiKey.updated',
    API_KEY_REVOKED: 'apiKey.revoked',
    API_KEY_DELETED: 'apiKey.deleted',
    API_KEY_EXPIRING: 'apiKey.expiring',
  },
});
