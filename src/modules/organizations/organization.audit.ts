import { defineAudit } from '../../core/audit-catalog';

/** Who belongs to an organization is member data, so its events need members:read too. */
export const ORGANIZATION_AUDIT = defineAudit({
  targetType: 'ORGANIZATION',
  resource: 'members',
  actions: { ORGANIZATION_CREATED: 'organization.created' },
});
