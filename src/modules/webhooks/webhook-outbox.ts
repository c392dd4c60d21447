import type { EntityManager } from 'typeorm';
import type { AccessModel } from '../../kernel/access';
import { seesActor } from '../../core/actors';
import type { EventSink, RecordedEvent } from '../../core/events';
import { WebhookEvent } from './webhook-event.entity';

/**
 * The webhook outbox: a forwarding event sink. Each recorded event becomes a `webhook_events`
 * row in the change's own transaction (the dispatcher turns rows into deliveries later), so an
 * event is queued exactly when its change commits.
 */
export class WebhookOutbox implements EventSink {
  readonly role = 'forward';

  constructor(private readonly access: AccessModel) {}

  async write(manager: EntityManager, event: RecordedEvent): Promise<void> {
    const { actor, orgId, type } = event;
    // A subscriber to this event holds read on its resource and nothing more is assumed: the
    // actor's name travels only when that read covers it (a key's name in key events, a user's
    // email in member events); otherwise its kind and id.
    const actorShown = seesActor(this.access, actor.kind, this.access.bit(event.definition.resource, 'read'));
    await manager.insert(WebhookEvent, {
      orgId,
      type,
      payload: {
        type,
        timestamp: event.createdAt!.toISOString(),
        organizationId: orgId,
        data: {
          auditEventId: event.id,
          action: event.action,
          actor: actorShown ? { kind: actor.kind, id: actor.id, name: actor.name } : { kind: actor.kind, id: actor.id },
          target: { type: event.targetType, id: event.targetId, name: event.targetName },
          metadata: event.metadata ?? {},
        },
      },
    });
  }
}
