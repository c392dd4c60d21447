import type { DataSource, EntityManager } from 'typeorm';
import type { Caller } from '../../auth/principal';
import type { AccessModel } from '../../kernel/access';
import { BadUserInputError } from '../../kernel/errors';
import { isUuid } from '../../kernel/ids';
import { OrgScopedQuery } from '../../db/org-scoped-query';
import type { Page, PageArgs } from '../../db/pagination';
import { RowShape } from '../../db/row-shape';
import { newestFirstSqlPage } from '../../db/sql-page';
import { visibleActorName } from '../../core/actors';
import type { AuditCatalog } from '../../core/audit-catalog';
import type { EventSink, RecordedEvent } from '../../core/events';
import { AuditEvent } from './audit-event.entity';

export interface AuditFilterArgs {
  action?: string | null;
  targetId?: string | null;
  since?: Date | null;
}

/**
 * The audit log: the core's storing event sink (every change's event is written here, in the
 * change's transaction, and gets its id and time here) and the `auditLog` query.
 */
export class AuditService implements EventSink {
  readonly role = 'store';

  constructor(
    private readonly dataSource: DataSource,
    private readonly catalog: AuditCatalog,
    private readonly access: AccessModel,
  ) {}

  async write(manager: EntityManager, event: RecordedEvent): Promise<{ id: string; createdAt: Date }> {
    const row = await manager.save(
      manager.create(AuditEvent, {
        orgId: event.orgId,
        action: event.action,
        actorKind: event.actor.kind,
        actorId: event.actor.id,
        actorName: event.actor.name.slice(0, 200),
        targetType: event.targetType,
        targetId: event.targetId,
        targetName: event.targetName?.slice(0, 200) ?? null,
        metadata: event.metadata ?? null,
        ip: event.ip?.slice(0, 64) ?? null,
        userAgent: event.userAgent?.slice(0, 512) ?? null,
      }),
    );
    return { id: row.id, createdAt: row.createdAt };
  }

  /**
   * Events of the caller's organization whose resource the caller may read (key events need
   * apiKeys:read, member and organization events members:read, link events shortLinks:read, …).
   * Actor emails, IP addresses and user agents are member data: without members:read they are
   * withheld, and a user actor's name reads "(hidden: needs members:read)".
   */
  async list(caller: Caller, args: PageArgs & { filter?: AuditFilterArgs | null }): Promise<Page<AuditEvent>> {
    const held = caller.principal.permissions;
    const readable = this.catalog.readableTargetTypes(held);
    const q = new OrgScopedQuery('audit_events e', 'e', caller.principal.orgId);
    q.where(readable.length ? `e.target_type = ANY(${q.param(readable)}::varchar[])` : 'false');
    const filter = args.filter ?? {};
    if (filter.action) q.where(`e.action = ${q.param(filter.action)}`);
    if (filter.targetId) {
      if (!isUuid(filter.targetId)) throw new BadUserInputError({ 'filter.targetId': 'targetId must be an ID.' });
      q.where(`e.target_id = ${q.param(filter.targetId)}`);
    }
    if (filter.since) q.where(`e.created_at >= ${q.param(filter.since)}`);
    const db = caller.db ?? this.dataSource;
    const shape = RowShape.of(db, AuditEvent, 'e');
    const page = await newestFirstSqlPage(
      db,
      { query: q, select: shape.select, column: 'e.created_at', map: (row) => shape.from(row)! },
      args,
      50,
    );
    if (!this.access.holds(held, this.access.bit('members', 'read'))) {
      for (const event of page.nodes) {
        event.ip = null;
        event.userAgent = null;
        event.actorName = visibleActorName(this.access, event.actorKind, event.actorName, held);
      }
    }
    return page;
  }
}
