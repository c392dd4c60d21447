import type { DataSource, EntityManager } from 'typeorm';
import { actorOf, type Caller } from '../../auth/principal';
import { BadUserInputError } from '../../errors';
import { isUuid, keysetPage, type Page, type PageArgs } from '../../db/pagination';
import { AuditEvent } from './audit-event.entity';

/** Every action name written to the audit log. */
export enum AuditAction {
  API_KEY_CREATED = 'API_KEY_CREATED',
  API_KEY_ROTATED = 'API_KEY_ROTATED',
  API_KEY_UPDATED = 'API_KEY_UPDATED',
  API_KEY_ENABLED = 'API_KEY_ENABLED',
  API_KEY_DISABLED = 'API_KEY_DISABLED',
  API_KEY_REVOKED = 'API_KEY_REVOKED',
  API_KEY_DELETED = 'API_KEY_DELETED',
  MEMBER_ADDED = 'MEMBER_ADDED',
  MEMBER_ROLE_CHANGED = 'MEMBER_ROLE_CHANGED',
  MEMBER_REMOVED = 'MEMBER_REMOVED',
  ORGANIZATION_CREATED = 'ORGANIZATION_CREATED',
}

export interface AuditEntry {
  action: AuditAction;
  targetType: 'API_KEY' | 'MEMBER' | 'ORGANIZATION';
  targetId: string | null;
  targetName: string | null;
  metadata?: Record<string, unknown>;
}

export interface AuditFilterArgs {
  action?: string | null;
  targetId?: string | null;
  since?: Date | null;
}

export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Must be called with the manager of the transaction that makes the change, so the event
   * commits or rolls back together with it.
   */
  async record(manager: EntityManager, caller: Caller, entry: AuditEntry): Promise<void> {
    const actor = actorOf(caller.principal);
    await manager.save(
      manager.create(AuditEvent, {
      orgId: caller.principal.orgId,
      action: entry.action,
      actorKind: actor.kind,
      actorId: actor.id,
      actorName: actor.name.slice(0, 200),
      targetType: entry.targetType,
      targetId: entry.targetId,
      targetName: entry.targetName?.slice(0, 200) ?? null,
      metadata: entry.metadata ?? null,
      ip: caller.ip?.slice(0, 64) ?? null,
      userAgent: caller.userAgent?.slice(0, 512) ?? null,
      }),
    );
  }

  async list(caller: Caller, args: PageArgs & { filter?: AuditFilterArgs | null }): Promise<Page<AuditEvent>> {
    const qb = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.orgId = :orgId', { orgId: caller.principal.orgId });
    const filter = args.filter ?? {};
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.targetId) {
      if (!isUuid(filter.targetId)) throw new BadUserInputError({ 'filter.targetId': 'targetId must be an ID.' });
      qb.andWhere('e.targetId = :targetId', { targetId: filter.targetId });
    }
    if (filter.since) qb.andWhere('e.createdAt >= :since', { since: filter.since });
    return keysetPage(qb, args, 50);
  }
}
