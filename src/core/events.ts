import type { EntityManager } from 'typeorm';
import { actorOf, type Caller } from '../auth/principal';
import { SYSTEM_ACTOR, type AuditActor } from './actors';
import type { AuditCatalog, AuditDefinition } from './audit-catalog';

/** One event a change records; `action` must be declared by some module's audit definition. */
export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  targetName: string | null;
  metadata?: Record<string, unknown>;
}

/** An event as the sinks receive it: the entry, who caused it where, and (once stored) its id and time. */
export interface RecordedEvent extends AuditEntry {
  orgId: string;
  actor: AuditActor;
  ip: string | null;
  userAgent: string | null;
  /** The webhook event type the action is emitted as. */
  type: string;
  definition: AuditDefinition;
  /** Given by the storing sink, for the ones after it. */
  id?: string;
  createdAt?: Date;
}

/**
 * Where recorded events go, inside the transaction of the change that records them. A `store`
 * sink keeps the event and gives it its id and time (the audit log); `forward` sinks run after it
 * and pass the event on (the webhook outbox). Features contribute sinks (FeatureModule.eventSinks);
 * the core knows none of them.
 */
export interface EventSink {
  readonly role: 'store' | 'forward';
  write(manager: EntityManager, event: RecordedEvent): Promise<{ id: string; createdAt: Date } | void>;
}

/** What a change, or keygate itself, records: an event, written by every sink in the change's transaction. */
export interface EventRecorder {
  record(manager: EntityManager, caller: Caller, entry: AuditEntry): Promise<void>;
  recordSystem<A extends string>(
    manager: EntityManager,
    orgId: string,
    definition: AuditDefinition<A>,
    action: A,
    record: { targetId: string | null; targetName: string | null; metadata?: Record<string, unknown> },
  ): Promise<void>;
}

/**
 * The event log of the core: it checks each entry against the catalog and hands it to the sinks
 * (stores first, then forwarders) through the manager of the change's own transaction, so a
 * change, its audit event and its webhook event commit together or not at all.
 */
export class EventLog implements EventRecorder {
  private readonly sinks: EventSink[] = [];

  constructor(private readonly catalog: AuditCatalog) {}

  addSink(sink: EventSink): void {
    this.sinks.push(sink);
    this.sinks.sort((a, b) => (a.role === b.role ? 0 : a.role === 'store' ? -1 : 1));
  }

  async record(manager: EntityManager, caller: Caller, entry: AuditEntry): Promise<void> {
    const source = { actor: actorOf(caller.principal), orgId: caller.principal.orgId, ip: caller.ip, userAgent: caller.userAgent };
    await this.write(manager, source, entry);
  }

  /** An event keygate itself causes (a scheduled alert, an endpoint disabled after failures). */
  async recordSystem<A extends string>(
    manager: EntityManager,
    orgId: string,
    definition: AuditDefinition<A>,
    action: A,
    record: { targetId: string | null; targetName: string | null; metadata?: Record<string, unknown> },
  ): Promise<void> {
    await this.write(manager, { actor: SYSTEM_ACTOR, orgId }, { action, targetType: definition.targetType, ...record });
  }

  private async write(
    manager: EntityManager,
    source: { actor: AuditActor; orgId: string; ip?: string | null; userAgent?: string | null },
    entry: AuditEntry,
  ): Promise<void> {
    const { definition, event: type } = this.catalog.definitionOf(entry.action);
    if (definition.targetType !== entry.targetType) throw new Error(`Audit action ${entry.action} does not describe a ${entry.targetType}`);
    const event: RecordedEvent = { ...entry, ...source, ip: source.ip ?? null, userAgent: source.userAgent ?? null, type, definition };
    for (const sink of this.sinks) {
      const stored = await sink.write(manager, event);
      if (stored) Object.assign(event, stored);
    }
  }
}
