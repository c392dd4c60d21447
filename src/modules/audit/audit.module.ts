import { defineModule } from '../module';
import { AuditEvent } from './audit-event.entity';
import { AuditResolver } from './audit.resolver';

/** The audit log. Its service is shared infrastructure (every change writes through it), built by compose. */
export const auditModule = defineModule({
  name: 'audit',
  entities: [AuditEvent],
  resolvers: [AuditResolver],
});
