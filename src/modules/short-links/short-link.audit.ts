import { defineAudit } from '../../core/audit-catalog';

export const SHORT_LINK_AUDIT = defineAudit({
  targetType: 'SHORT_LINK',
  resource: 'shortLinks',
  actions: { SHORT_LINK_CREATED: 'shortLink.created', SHORT_LINK_UPDATED: 'shortLink.updated', SHORT_LINK_DELETED: 'shortLink.deleted' },
});
