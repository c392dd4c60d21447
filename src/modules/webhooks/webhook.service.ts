import { WEBHOOK_OPERATIONS } from './webhook.rules';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AccessModel } from '../../kernel/access';
import type { Caller, Principal } from '../../auth/principal';
import { enforce, firstRefusal, needsScope, type BoundRules, type Refusal } from '../../kernel/capabilities';
import type { Scope } from '../../kernel/permissions';
import type { Changes } from '../../core/changes';
import type { SecretBox } from './secret-box';
import { findOrgRow } from '../../db/org-scoped';
import { OrgScopedQuery } from '../../db/org-scoped-query';
import type { Page, PageArgs } from '../../db/pagination';
import { RowShape } from '../../db/row-shape';
import { newestFirstSqlPage } from '../../db/sql-page';
import { BadUserInputError, checkInput, ConflictError, ForbiddenError, ForbiddenRule } from '../../kernel/errors';
import { PING_EVENT, type AuditCatalog } from '../../core/audit-catalog';
import { WEBHOOK_AUDIT } from './webhook.audit';
import { renamed, validateDescription } from './webhook.input-checks';
import { assertPublicDestination, validateWebhookUrl, type Lookup } from './ssrf-guard';
import { WebhookDelivery } from './webhook-delivery.entity';
import { assertRoomForWebhook } from './webhook-limit';
import type { WebhookDeliverer } from './webhook-deliverer';
import { WebhookEvent } from './webhook-event.entity';
import { generateWebhookSecret } from './webhook-sender';
import { Webhook } from './webhook.entity';

export interface CreateWebhookArgs {
  url: string;
  events: string[];
  description?: string | null;
}

export interface UpdateWebhookArgs {
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

export interface WebhookGuardOptions {
  isProduction: boolean;
  allowPrivate: boolean;
  lookup: Lookup;
}

/** Webhook endpoints: CRUD, secret rotation, the delivery log, test pings and redeliveries. */
export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly access: AccessModel,
    private readonly events: AuditCatalog,
    private readonly secretBox: SecretBox,
    private readonly guard: WebhookGuardOptions,
    private readonly deliverer: WebhookDeliverer,
    private readonly changes: Changes,
  ) {}

  async list(caller: Caller): Promise<Webhook[]> {
    return (caller.db ?? this.dataSource)
      .getRepository(Webhook)
      .find({ where: { orgId: caller.principal.orgId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  async create(caller: Caller, input: CreateWebhookArgs): Promise<{ webhook: Webhook; secret: string }> {
    const { shape, events, description } = checkInput({
      shape: () => this.urlShape(input.url, 'input.url'),
      events: () => this.validateEvents(input.events, 'input.events'),
      description: () => validateDescription(input.description, 'input.description'),
    });
    // Everything that needs no network first: a refused request never makes keygate look up a
    // host its client chose. The transaction checks the subscription again with fresh authority.
    this.assertMayReceive(caller, events);
    const url = await this.destination(shape, 'input.url');
    const secret = generateWebhookSecret();
    return this.changes.run(caller, WEBHOOK_OPERATIONS.createWebhook, async (tx) => {
      const { m, caller } = tx;
      this.assertMayReceive(caller, events);
      await assertRoomForWebhook(m, caller.principal.orgId);
      const webhook = m.getRepository(Webhook).create({
        orgId: caller.principal.orgId,
        url,
        events,
        description,
        enabled: true,
        secretSealed: this.secretBox.seal(secret),
        consecutiveFailures: 0,
        lastDeliveryAt: null,
        lastDeliveryStatus: null,
      });
      await m.save(webhook);
      await tx.audit(WEBHOOK_AUDIT, 'WEBHOOK_CREATED', {
        targetId: webhook.id,
        targetName: url,
        metadata: { events },
      });
      return { webhook, secret };
    });
  }

  async update(caller: Caller, id: string, input: UpdateWebhookArgs): Promise<Webhook> {
    const { shape, ...checked } = checkInput({
      shape: () => (input.url == null ? undefined : this.urlShape(input.url, 'input.url')),
      events: () => (input.events == null ? undefined : this.validateEvents(input.events, 'input.events')),
      description: () => (input.description === undefined ? undefined : validateDescription(input.description, 'input.description')),
    });
    const changes: Partial<Webhook> = {};
    for (const [field, value] of Object.entries(checked)) if (value !== undefined) Object.assign(changes, { [field]: value });
    if (input.enabled != null) {
      changes.enabled = input.enabled;
      // Re-enabling starts a fresh run: the failures that disabled it are history.
      if (input.enabled) changes.consecutiveFailures = 0;
    }
    if (Object.keys(changes).length === 0 && !shape) throw new BadUserInputError({ input: 'Give at least one field to change.' });
    if (shape) {
      // No DNS lookup for a webhook that is not there, or for events the caller may not receive.
      const current = await this.find(caller, id);
      this.assertMayReceive(caller, changes.events ?? current.events);
      changes.url = await this.destination(shape, 'input.url');
    }
    return this.changes.run(caller, WEBHOOK_OPERATIONS.updateWebhook, async (tx) => {
      const { m, caller } = tx;
      const webhook = await this.lock(m, caller, id);
      Object.assign(webhook, changes);
      // Whoever points an endpoint somewhere (or changes what it receives) decides where its
      // events go: they must be able to read every one of them.
      this.assertMayReceive(caller, webhook.events);
      await m.save(webhook);
      await tx.audit(WEBHOOK_AUDIT, 'WEBHOOK_UPDATED', {
        targetId: webhook.id,
        targetName: webhook.url,
        metadata: { changed: Object.keys(changes) },
      });
      return webhook;
    });
  }

  async rotateSecret(caller: Caller, id: string): Promise<{ webhook: Webhook; secret: string }> {
    const secret = generateWebhookSecret();
    return this.changes.run(caller, WEBHOOK_OPERATIONS.rotateWebhookSecret, async (tx) => {
      const { m, caller } = tx;
      const webhook = await this.lock(m, caller, id);
      webhook.secretSealed = this.secretBox.seal(secret);
      await m.save(webhook);
      await tx.audit(WEBHOOK_AUDIT, 'WEBHOOK_SECRET_ROTATED', {
        targetId: webhook.id,
        targetName: webhook.url,
      });
      return { webhook, secret };
    });
  }

  async delete(caller: Caller, id: string): Promise<string> {
    return this.changes.run(caller, WEBHOOK_OPERATIONS.deleteWebhook, async (tx) => {
      const { m, caller } = tx;
      const webhook = await this.lock(m, caller, id);
      await m.delete(Webhook, { id: webhook.id });
      await tx.audit(WEBHOOK_AUDIT, 'WEBHOOK_DELETED', {
        targetId: webhook.id,
        targetName: webhook.url,
      });
      return webhook.id;
    });
  }

  async deliveries(caller: Caller, webhookId: string, args: PageArgs): Promise<Page<WebhookDelivery>> {
    await this.find(caller, webhookId);
    const q = new OrgScopedQuery('webhook_deliveries d', 'd', caller.principal.orgId);
    q.where(`d.webhook_id = ${q.param(webhookId)}`);
    const db = caller.db ?? this.dataSource;
    const shape = RowShape.of(db, WebhookDelivery, 'd');
    return newestFirstSqlPage(db, { query: q, select: shape.select, column: 'd.created_at', map: (row) => shape.from(row)! }, args, 20);
  }

  /** Sends a `ping` now, outside the queue, and returns the attempt. */
  async test(caller: Caller, id: string): Promise<WebhookDelivery> {
    // Nothing commits before the ping leaves, so authority is confirmed right before it does.
    caller = await this.changes.confirm(caller, WEBHOOK_OPERATIONS.testWebhook);
    const webhook = await this.find(caller, id);
    const event = await (caller.db ?? this.dataSource).getRepository(WebhookEvent).save({
      id: randomUUID(),
      orgId: webhook.orgId,
      type: PING_EVENT,
      payload: { type: PING_EVENT, timestamp: new Date().toISOString(), organizationId: webhook.orgId, data: { webhookId: webhook.id } },
      // Never fanned out: a ping is for this endpoint only.
      dispatchedAt: new Date(),
    });
    return this.deliverer.attempt(webhook, event, 1, { retry: false, db: caller.db });
  }

  /**
   * Sends a delivery's event again to its endpoint, now: the same event id (`webhook-id`) and
   * payload, a fresh signature, through the sender's SSRF guard, recorded as the event's next
   * attempt (retried on the schedule for that number if it fails) and returned. The endpoint
   * must be enabled and still subscribed, and the caller must be able to read the event (as for
   * a subscription); all confirmed, and audited, in one transaction before anything is sent.
   */
  async redeliver(caller: Caller, deliveryId: string): Promise<WebhookDelivery> {
    const { webhook, event } = await this.changes.run(caller, WEBHOOK_OPERATIONS.redeliverWebhookDelivery, async (tx) => {
      const { m, caller } = tx;
      const delivery = await findOrgRow(m, WebhookDelivery, caller.principal.orgId, deliveryId, { what: 'Webhook delivery' });
      const webhook = await this.lock(m, caller, delivery.webhookId);
      const event = await m.getRepository(WebhookEvent).findOneByOrFail({ id: delivery.eventId, orgId: webhook.orgId });
      enforce(
        firstRefusal(
          () => disabledRefusal(webhook),
          () => (event.type === PING_EVENT || webhook.events.includes(event.type) ? null : notSubscribed(event.type)),
          () => this.receiveRefusal(caller.principal, [event.type]),
        ),
      );
      await tx.audit(WEBHOOK_AUDIT, 'WEBHOOK_REDELIVERED', {
        targetId: webhook.id,
        targetName: webhook.url,
        metadata: { eventId: event.id, eventType: event.type, deliveryId: delivery.id },
      });
      return { webhook, event };
    });
    return this.deliverer.attempt(webhook, event, 'next', { retry: true, db: caller.db });
  }

  /**
   * A webhook endpoint receives each event's data, so subscribing to an event needs read on its
   * resource: `member.added` needs members:read, `apiKey.created` apiKeys:read, and so on.
   */
  private assertMayReceive(caller: Caller, events: readonly string[]): void {
    enforce(this.receiveRefusal(caller.principal, events));
  }

  private receiveRefusal(principal: Principal, events: readonly string[]): Refusal {
    const missing = this.access.missingScopes(principal.permissions, this.events.readNeededFor(events));
    if (missing.length === 0) return null;
    return new ForbiddenError(
      { required: missing, rule: ForbiddenRule.EVENT_NEEDS_READ },
      `A webhook receives the data of its events; subscribing to them needs ${missing.join(', ')}.`,
    );
  }

  /** What `Webhook.viewerCan` reports: the scopes of each mutation, and that an update keeps receiving only readable events. */
  rules(
    principal: Principal,
    webhook: Pick<Webhook, 'events' | 'enabled'>,
  ): BoundRules<'update' | 'rotateSecret' | 'test' | 'redeliver' | 'delete'> {
    const scope = (s: Scope) => needsScope(this.access, principal.permissions, s);
    return {
      update: () => firstRefusal(scope(WEBHOOK_OPERATIONS.updateWebhook), () => this.receiveRefusal(principal, webhook.events)),
      rotateSecret: scope(WEBHOOK_OPERATIONS.rotateWebhookSecret),
      test: scope(WEBHOOK_OPERATIONS.testWebhook),
      redeliver: () => firstRefusal(scope(WEBHOOK_OPERATIONS.redeliverWebhookDelivery), () => disabledRefusal(webhook)),
      delete: scope(WEBHOOK_OPERATIONS.deleteWebhook),
    };
  }

  private validateEvents(raw: string[], field: string): string[] {
    const events = [...new Set(raw.map((e) => e.trim()))];
    if (events.length === 0) throw new BadUserInputError({ [field]: 'Subscribe to at least one event.' });
    const unknown = events.filter((e) => this.events.resourceOf(e) === undefined);
    if (unknown.length) {
      throw new BadUserInputError({ [field]: `Unknown event(s) ${unknown.join(', ')}. Known: ${this.events.eventTypes.join(', ')}.` });
    }
    return events;
  }

  /** The URL's shape (scheme, host, no credentials): no network. Both checks name the field as sent (`input.url`). */
  private urlShape(raw: string, field: string): URL {
    return renamed(field, () => validateWebhookUrl(raw, { isProduction: this.guard.isProduction }));
  }

  /** Where the URL resolves must be public (unless allowed): a DNS lookup, so it runs last. */
  private async destination(url: URL, field: string): Promise<string> {
    await renamed(field, () => assertPublicDestination(url, { allowPrivate: this.guard.allowPrivate, lookup: this.guard.lookup }));
    return url.toString();
  }

  private find(caller: Caller, id: string): Promise<Webhook> {
    return findOrgRow((caller.db ?? this.dataSource).manager, Webhook, caller.principal.orgId, id, { what: 'Webhook' });
  }

  private lock(m: EntityManager, caller: Caller, id: string): Promise<Webhook> {
    return findOrgRow(m, Webhook, caller.principal.orgId, id, { what: 'Webhook', lock: true });
  }
}

function disabledRefusal(webhook: Pick<Webhook, 'enabled'>): Refusal {
  return webhook.enabled ? null : new ConflictError('The webhook is disabled; enable it before redelivering.');
}

function notSubscribed(type: string): Refusal {
  return new ConflictError(`The webhook no longer subscribes to ${type}; add it to its events before redelivering.`);
}
