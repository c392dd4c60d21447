import { defineAudit } from '../../core/audit-catalog';

export const DOMAIN_AUDIT = defineAudit({
  targetType: 'DOMAIN',
  resource: 'domains',
  actions: { DOMAIN_CREATED: 'domain.created', DOMAIN_VERIFIED: 'domain.verified', DOMAIN_DELETED: 'domain.deleted' },
});
