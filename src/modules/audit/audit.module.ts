import { defineModule } from '../../core/module';
import { AuditEvent } from './audit-event.entity';
import { AuditResolver } from './audit.resolver';
import { AuditService } from './audit.service';

/** The audit log: the core's storing event sink, and the `auditLog` query. */
export const auditModule = defineModule({
  name: 'audit',
  entities: [AuditEvent],
  resolvers: [AuditResolver],
  services: ({ dataSource, events, access }) => ({ audit: new AuditService(dataSource, events, access) }),
  eventSinks: (_deps, built) => [built.audit as AuditService],
});
