import type { DataSource, EntityManager } from 'typeorm';
import type { Caller } from '../../auth/principal';
import type { AccessModel } from '../../kernel/access';
import { BadUserInputError } from '../../kernel/errors';
import { isUuid } from '../../kernel/ids';
import { keysetPage, type Page, type PageArgs } from '../../db/pagination';
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
    const qb = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.orgId = :orgId', { orgId: caller.principal.orgId })
      .andWhere(readable.length ? 'e.targetType IN (:...readable)' : 'false', { readable });
    const filter = args.filter ?? {};
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.targetId) {
      if (!isUuid(filter.targetId)) throw new BadUserInputError({ 'filter.targetId': 'targetId must be an ID.' });
      qb.andWhere('e.targetId = :targetId', { targetId: filter.targetId });
    }
    if (filter.since) qb.andWhere('e.createdAt >= :since', { since: filter.since });
    const page = await keysetPage(qb, args, 50);
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
