import type { DataSource, EntityManager } from 'typeorm';
import { bit, holds, type PermissionMask, type Resource } from '../../auth/permissions';
import { actorOf, seesActor, visibleActorName, type Caller, type PrincipalKind } from '../../auth/principal';
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

export type AuditTargetType = 'API_KEY' | 'MEMBER' | 'ORGANIZATION' | 'SHORT_LINK' | 'DOMAIN' | 'WEBHOOK';

/**
 * The resource each audit event belongs to, by its target: reading the event (in the audit log
 * or as a webhook delivery) needs read on that resource, exactly as reading the target does.
 */
export const RESOURCE_OF_TARGET: Record<AuditTargetType, Resource> = {
  API_KEY: 'apiKeys',
  MEMBER: 'members',
  ORGANIZATION: 'members',
  SHORT_LINK: 'shortLinks',
  DOMAIN: 'domains',
  WEBHOOK: 'webhooks',
};

/** The target type of each action (every action has exactly one). */
export const TARGET_OF_ACTION: Record<AuditAction, AuditTargetType> = {
  API_KEY_CREATED: 'API_KEY',
  API_KEY_ROTATED: 'API_KEY',
  API_KEY_UPDATED: 'API_KEY',
  API_KEY_ENABLED: 'API_KEY',
  API_KEY_DISABLED: 'API_KEY',
  API_KEY_REVOKED: 'API_KEY',
  API_KEY_DELETED: 'API_KEY',
  API_KEY_EXPIRING: 'API_KEY',
  MEMBER_ADDED: 'MEMBER',
  MEMBER_ROLE_CHANGED: 'MEMBER',
  MEMBER_REMOVED: 'MEMBER',
  ORGANIZATION_CREATED: 'ORGANIZATION',
  SHORT_LINK_CREATED: 'SHORT_LINK',
  SHORT_LINK_UPDATED: 'SHORT_LINK',
  SHORT_LINK_DELETED: 'SHORT_LINK',
  DOMAIN_CREATED: 'DOMAIN',
  DOMAIN_VERIFIED: 'DOMAIN',
  DOMAIN_DELETED: 'DOMAIN',
  WEBHOOK_CREATED: 'WEBHOOK',
  WEBHOOK_UPDATED: 'WEBHOOK',
  WEBHOOK_SECRET_ROTATED: 'WEBHOOK',
  WEBHOOK_DELETED: 'WEBHOOK',
  WEBHOOK_DISABLED: 'WEBHOOK',
};

export const PING_EVENT = 'ping';
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...new Set([...Object.values(EVENT_TYPE_OF), PING_EVENT])];

/** The resource whose read scope a subscription to each event type needs; the ping needs none. */
export const RESOURCE_OF_EVENT: ReadonlyMap<string, Resource | null> = new Map<string, Resource | null>([
  ...(Object.entries(EVENT_TYPE_OF) as [AuditAction, string][]).map(([action, type]) => [type, RESOURCE_OF_TARGET[TARGET_OF_ACTION[action]]] as const),
  [PING_EVENT, null],
]);

function canRead(held: PermissionMask, resource: Resource | null): boolean {
  return resource === null || holds(held, bit(resource, 'read'));
}

/** Who acted: a principal, or keygate itself (scheduled jobs, automatic disabling). */
export interface AuditActor {
  kind: PrincipalKind | 'SYSTEM';
  id: string;
  name: string;
}
export const SYSTEM_ACTOR: AuditActor = { kind: 'SYSTEM', id: '00000000-0000-0000-0000-000000000000', name: 'keygate' };

export interface AuditEntry {
  action: AuditAction;
  targetType: AuditTargetType;
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
    // A subscriber to this event holds read on its resource and nothing more is assumed: the
    // actor's name travels only when that read covers it (a key's name in key events, a user's
    // email in member events); otherwise its kind and id.
    const eventResource = RESOURCE_OF_TARGET[entry.targetType];
    const actorShown = seesActor(actor.kind, bit(eventResource, 'read'));
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
          actor: actorShown ? { kind: actor.kind, id: actor.id, name: actor.name } : { kind: actor.kind, id: actor.id },
          target: { type: entry.targetType, id: entry.targetId, name: entry.targetName },
          metadata: entry.metadata ?? {},
        },
      },
    });
  }

  /**
   * Events of the caller's organization whose resource the caller may read (key events need
   * apiKeys:read, member and organization events members:read, link events shortLinks:read, …).
   * Actor emails, IP addresses and user agents are member data: without members:read they are
   * withheld, and a user actor's name reads "(hidden: needs members:read)".
   */
  async list(caller: Caller, args: PageArgs & { filter?: AuditFilterArgs | null }): Promise<Page<AuditEvent>> {
    const held = caller.principal.permissions;
    const readable = (Object.keys(RESOURCE_OF_TARGET) as AuditTargetType[]).filter((t) => canRead(held, RESOURCE_OF_TARGET[t]));
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
    if (!canRead(held, 'members')) {
      for (const event of page.nodes) {
        event.ip = null;
        event.userAgent = null;
        event.actorName = visibleActorName(event.actorKind, event.actorName, held);
      }
    }
    return page;
  }
}
