import type { DataSource, EntityManager } from 'typeorm';
import { actorOf, type Caller } from '../../auth/principal';
import type { AccessModel } from '../../kernel/access';
import { BadUserInputError } from '../../kernel/errors';
import { isUuid } from '../../kernel/ids';
import { keysetPage, type Page, type PageArgs } from '../../db/pagination';
import { WebhookEvent } from '../webhooks/webhook-event.entity';
import { seesActor, SYSTEM_ACTOR, visibleActorName, type AuditActor } from './actors';
import type { AuditCatalog, AuditDefinition } from './audit-catalog';
import { AuditEvent } from './audit-event.entity';

/** One audit event; `action` must be declared by some module's audit definition. */
export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  targetName: string | null;
  metadata?: Record<string, unknown>;
}

export interface AuditFilterArgs {
  action?: string | null;
  targetId?: string | null;
  since?: Date | null;
}

/** What a change needs of the audit log: to write an event inside its own transaction. */
export interface AuditRecorder {
  record(manager: EntityManager, caller: Caller, entry: AuditEntry): Promise<void>;
}

export class AuditService implements AuditRecorder {
  constructor(
    private readonly dataSource: DataSource,
    private readonly catalog: AuditCatalog,
    private readonly access: AccessModel,
  ) {}

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

  /** An event keygate itself causes (a scheduled alert, an endpoint disabled after failures). */
  async recordSystem<A extends string>(
    manager: EntityManager,
    orgId: string,
    definition: AuditDefinition<A>,
    action: A,
    record: { targetId: string | null; targetName: string | null; metadata?: Record<string, unknown> },
  ): Promise<void> {
    await this.recordAs(manager, { actor: SYSTEM_ACTOR, orgId }, { action, targetType: definition.targetType, ...record });
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
    if (this.catalog.definitionOf(entry.action).definition.targetType !== entry.targetType) {
      throw new Error(`Audit action ${entry.action} does not describe a ${entry.targetType}`);
    }
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
    const { definition, event: type } = this.catalog.definitionOf(entry.action);
    // A subscriber to this event holds read on its resource and nothing more is assumed: the
    // actor's name travels only when that read covers it (a key's name in key events, a user's
    // email in member events); otherwise its kind and id.
    const actorShown = seesActor(this.access, actor.kind, this.access.bit(definition.resource, 'read'));
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
