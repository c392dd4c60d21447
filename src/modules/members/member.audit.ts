import { defineAudit } from '../../core/audit-catalog';

export const MEMBER_AUDIT = defineAudit({
  targetType: 'MEMBER',
  resource: 'members',
  actions: { MEMBER_ADDED: 'member.added', MEMBER_ROLE_CHANGED: 'member.updated', MEMBER_REMOVED: 'member.removed' },
});
