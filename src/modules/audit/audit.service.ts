import type { DataSource, EntityManager } from 'typeorm';
import { actorOf, type Caller, type PrincipalKind } from '../../auth/principal';
import { BadUserInputError } from '../../errors';
import { isUuid, keysetPage, type Page, type PageArgs } from '../../db/pagination';
import { WebhookEvent } from '../webhooks/webhook-event.entity';
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
  API_KEY_EXPIRING = 'API_KEY_EXPIRING',
  SHORT_LINK_CREATED = 'SHORT_LINK_CREATED',
  SHORT_LINK_UPDATED = 'SHORT_LINK_UPDATED',
  SHORT_LINK_DELETED = 'SHORT_LINK_DELETED',
  DOMAIN_CREATED = 'DOMAIN_CREATED',
  DOMAIN_VERIFIED = 'DOMAIN_VERIFIED',
  DOMAIN_DELETED = 'DOMAIN_DELETED',
  WEBHOOK_CREATED = 'WEBHOOK_CREATED',
  WEBHOOK_UPDATED = 'WEBHOOK_UPDATED',
  WEBHOOK_SECRET_ROTATED = 'WEBHOOK_SECRET_ROTATED',
  WEBHOOK_DELETED = 'WEBHOOK_DELETED',
  WEBHOOK_DISABLED = 'WEBHOOK_DISABLED',
}

/**
 * The webhook event each audit action is emitted as. The list (apiKey.*, member.added,
 * member.removed, shortLink.*, domain.verified, ping) plus the remaining audit actions, so every
 * audit event reaches subscribers.
 */
export const EVENT_TYPE_OF: Record<AuditAction, string> = {
  API_KEY_CREATED: 'apiKey.created',
  API_KEY_UPDATED: 'apiKey.updated',
  API_KEY_ENABLED: 'apiKey.updated',
  API_KEY_DISABLED: 'apiKey.updated',
  API_KEY_ROTATED: 'apiKey.rotated',
  API_KEY_REVOKED: 'apiKey.revoked',
  API_KEY_DELETED: 'apiKey.deleted',
  API_KEY_EXPIRING: 'apiKey.expiring',
  MEMBER_ADDED: 'member.added',
  MEMBER_ROLE_CHANGED: 'member.updated',
  MEMBER_REMOVED: 'member.removed',
  SHORT_LINK_CREATED: 'shortLink.created',
  SHORT_LINK_UPDATED: 'shortLink.updated',
  SHORT_LINK_DELETED: 'shortLink.deleted',
  DOMAIN_CREATED: 'domain.created',
  DOMAIN_VERIFIED: 'domain.verified',
  DOMAIN_DELETED: 'domain.deleted',
  WEBHOOK_CREATED: 'webhook.created',
  WEBHOOK_UPDATED: 'webhook.updated',
  WEBHOOK_SECRET_ROTATED: 'webhook.secretRotated',
  WEBHOOK_DELETED: 'webhook.deleted',
  WEBHOOK_DISABLED: 'webhook.disabled',
  ORGANIZATION_CREATED: 'organization.created',
};

export const PING_EVENT = 'ping';
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...new Set([...Object.values(EVENT_TYPE_OF), PING_EVENT])];

/** Who acted: a principal, or keygate itself (scheduled jobs, automatic disabling). */
export interface AuditActor {
  kind: PrincipalKind | 'SYSTEM';
  id: string;
  name: string;
}
export const SYSTEM_ACTOR: AuditActor = { kind: 'SYSTEM', id: '00000000-0000-0000-0000-000000000000', name: 'keygate' };

export interface AuditEntry {
  action: AuditAction;
  targetType: 'API_KEY' | 'MEMBER' | 'ORGANIZATION' | 'SHORT_LINK' | 'DOMAIN' | 'WEBHOOK';
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
    await this.recordAs(
      manager,
      { actor: actorOf(caller.principal), orgId: caller.principal.orgId, ip: caller.ip, userAgent: caller.userAgent },
      entry,
    );
  }

  /**
   * Writes the audit row and its webhook outbox row through `manager`, the transaction of the
   * change itself: the change, its audit event and its webhook event commit together or not at all.
   */
  async recordAs(
    manager: EntityManager,
    source: { actor: AuditActor; orgId: string; ip?: string | null; userAgent?: string | null },
    entry: AuditEntry,
  ): Promise<void> {
    const { actor, orgId } = source;
    const event = await manager.save(
      manager.create(AuditEvent, {
        orgId,
        action: entry.action,
        actorKind: actor.kind,
        actorId: actor.id,
        actorName: actor.name.slice(0, 200),
        targetType: entry.targetType,
        targetId: entry.targetId,
        targetName: entry.targetName?.slice(0, 200) ?? null,
        metadata: entry.metadata ?? null,
        ip: source.ip?.slice(0, 64) ?? null,
        userAgent: source.userAgent?.slice(0, 512) ?? null,
      }),
    );
    const type = EVENT_TYPE_OF[entry.action];
    await manager.insert(WebhookEvent, {
      orgId,
      type,
      payload: {
        type,
        timestamp: event.createdAt.toISOString(),
        organizationId: orgId,
        data: {
          auditEventId: event.id,
          action: entry.action,
          actor: { kind: actor.kind, id: actor.id, name: actor.name },
          target: { type: entry.targetType, id: entry.targetId, name: entry.targetName },
          metadata: entry.metadata ?? {},
        },
      },
    });
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
