import type { DataSource, EntityManager } from 'typeorm';
import type { SecretBox } from './secret-box';
import { rowsOf } from '../../db/sql';
import type { EventRecorder } from '../../core/events';
import { WEBHOOK_AUDIT } from './webhook.audit';
import { withJitter } from '../../kernel/retry-schedule';
import { NotFoundError } from '../../kernel/errors';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEvent } from './webhook-event.entity';
import type { SendResult, WebhookSender } from './webhook-sender';
import { Webhook } from './webhook.entity';

/** The error recorded for an attempt not sent because its signing secret could not be opened. */
export const SECRET_NOT_OPENED =
  'not sent: this instance could not open the signing secret (its ENCRYPTION_KEY is not the one that sealed it)';

interface Health {
  consecutive_failures: number;
  enabled: boolean;
}

export interface DeliveryJob {
  webhookId: string;
  /** For per-organization fairness; absent on jobs queued by older versions. */
  orgId?: string;
  eventId: string;
  attempt: number;
  /**
   * Set only on jobs left queued by versions that re-queued an attempt while its endpoint or
   * organization was busy; part of their job id, otherwise ignored.
   */
  deferrals?: number;
}

/** Puts a delivery job on the durable queue, inside the caller's transaction when one is given. */
export interface DeliveryScheduler {
  schedule(job: DeliveryJob, startAfter: Date | null, manager?: EntityManager): Promise<void>;
}

/** What the queue worker hooks into an attempt. */
export interface AttemptHooks {
  /** Called once the endpoint has answered, failed or timed out: its request is over. */
  onSent?: () => void;
  /** Runs in the transaction that records the attempt, before it commits (the job's completion). */
  beforeCommit?: (manager: EntityManager) => Promise<void>;
  /** Where the attempt is recorded when a request makes it (a test ping, a redelivery): the request's budgeted view (Caller.db). */
  db?: DataSource;
}

export interface DeliveryPolicy {
  /** Delays before attempts 2, 3, …; its length is the number of retries. */
  retrySchedule: number[];
  /** Consecutive failed attempts after which an endpoint is disabled. */
  maxConsecutiveFailures: number;
}

/**
 * One delivery attempt: sign and send, record the attempt, update the endpoint's health, and
 * either schedule the next attempt (with jitter) or give up. The attempt row, the health update,
 * the next job and any automatic disabling commit together.
 */
export class WebhookDeliverer {
  private scheduler?: DeliveryScheduler;
  /** Told of every signing secret this instance cannot open (the app logs it at error). */
  onSecretNotOpened?: (webhook: Webhook, error: unknown) => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secretBox: SecretBox,
    private readonly sender: WebhookSender,
    private readonly events: EventRecorder,
    private readonly policy: DeliveryPolicy,
  ) {}

  useScheduler(scheduler: DeliveryScheduler): void {
    this.scheduler = scheduler;
  }

  /** Runs a queued job. Safe to run twice: a delivered event or a recorded attempt is skipped. */
  async deliver(job: DeliveryJob, hooks: AttemptHooks = {}): Promise<WebhookDelivery | null> {
    const webhook = await this.dataSource.getRepository(Webhook).findOneBy({ id: job.webhookId });
    if (!webhook || !webhook.enabled) return null;
    const event = await this.dataSource.getRepository(WebhookEvent).findOneBy({ id: job.eventId, orgId: webhook.orgId });
    if (!event) return null;
    const done = await this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.webhookId = :w AND d.eventId = :e AND (d.succeeded OR d.attempt = :a)', { w: webhook.id, e: event.id, a: job.attempt })
      .getExists();
    if (done) return null;
    return this.attempt(webhook, event, job.attempt, { retry: true, ...hooks });
  }

  /**
   * `attempt: 'next'` (a redelivery) numbers the attempt when it is recorded: one more than the
   * event's last attempt at this endpoint, counted under the endpoint's row lock so two
   * redeliveries never take the same number. A failed redelivery is retried like any attempt of
   * that number, so it also carries on a retry it overtook (whose job then finds its number taken).
   */
  async attempt(
    webhook: Webhook,
    event: WebhookEvent,
    number: number | 'next',
    options: { retry: boolean } & AttemptHooks,
  ): Promise<WebhookDelivery> {
    const secret = this.openSecret(webhook);
    const result: SendResult =
      secret === null
        ? { ok: false, statusCode: null, durationMs: 0, error: SECRET_NOT_OPENED }
        : await this.sender.send({
            url: webhook.url,
            secret,
            messageId: event.id,
            timestamp: new Date(),
            payload: JSON.stringify(event.payload),
          });
    options.onSent?.();
    // Nothing was sent: the endpoint did nothing wrong, so its health is left as it was.
    const receiverFailed = secret !== null;

    return (options.db ?? this.dataSource).transaction(async (m) => {
      const attempt = number === 'next' ? await this.nextAttempt(m, webhook, event) : number;
      const retryDelay = !result.ok && options.retry ? this.policy.retrySchedule[attempt - 1] : undefined;
      const nextRetryAt = retryDelay === undefined ? null : new Date(Date.now() + withJitter(retryDelay));
      const row = {
        orgId: webhook.orgId,
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        attempt,
        succeeded: result.ok,
        statusCode: result.statusCode,
        durationMs: Math.round(result.durationMs),
        error: result.error?.slice(0, 500) ?? null,
        nextRetryAt,
      };
      // orIgnore: a job that runs twice (a crash after sending) records its attempt once.
      await m.createQueryBuilder().insert().into(WebhookDelivery).values(row).orIgnore().execute();

      const [health] = await this.recordHealth(m, webhook.id, receiverFailed ? result : null);
      const stillEnabled = health !== undefined && health.enabled;
      if (stillEnabled && receiverFailed && !result.ok && health.consecutive_failures >= this.policy.maxConsecutiveFailures) {
        await m.update(Webhook, { id: webhook.id }, { enabled: false });
        await this.events.recordSystem(m, webhook.orgId, WEBHOOK_AUDIT, 'WEBHOOK_DISABLED', {
          targetId: webhook.id,
          targetName: webhook.url,
          metadata: { consecutiveFailures: health.consecutive_failures, lastError: row.error, lastStatus: result.statusCode },
        });
        await m.update(WebhookDelivery, { webhookId: webhook.id, eventId: event.id, attempt }, { nextRetryAt: null });
      } else if (stillEnabled && nextRetryAt && this.scheduler) {
        await this.scheduler.schedule(
          { webhookId: webhook.id, orgId: webhook.orgId, eventId: event.id, attempt: attempt + 1 },
          nextRetryAt,
          m,
        );
      }
      await options.beforeCommit?.(m);
      return m.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id, eventId: event.id, attempt });
    });
  }

  /**
   * The endpoint's health after this attempt. A failure counts under the endpoint's row lock (it
   * may disable the endpoint). A success only resets the count and stamps the time, and skips the
   * write when another delivery holds the row: in a burst to one endpoint every delivery, from
   * every instance, would otherwise queue on that lock, and one that waited past the statement
   * timeout rolled back an attempt whose request had already been answered — and was sent again
   * (the cluster scenario saw 15 of 200 events delivered twice). `result` null: nothing was sent.
   */
  private async recordHealth(m: EntityManager, webhookId: string, result: SendResult | null): Promise<Health[]> {
    if (result && !result.ok) {
      return rowsOf<Health>(
        m,
        `UPDATE webhooks SET last_delivery_at = now(), last_delivery_status = $2, consecutive_failures = consecutive_failures + 1
          WHERE id = $1 RETURNING consecutive_failures, enabled`,
        [webhookId, result.statusCode],
      );
    }
    if (result) {
      const written = await rowsOf<Health>(
        m,
        `UPDATE webhooks SET last_delivery_at = now(), last_delivery_status = $2, consecutive_failures = 0
          WHERE id = (SELECT id FROM webhooks WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED) RETURNING consecutive_failures, enabled`,
        [webhookId, result.statusCode],
      );
      if (written.length) return written;
    }
    return rowsOf<Health>(m, 'SELECT consecutive_failures, enabled FROM webhooks WHERE id = $1', [webhookId]);
  }

  /**
   * The webhook's signing secret, or null when this instance cannot open it: its ENCRYPTION_KEY
   * is not the one that sealed it (a typo on one instance, a rotation half done). The attempt is
   * then recorded as failed without sending and retried on the schedule, so the event waits for
   * the key to be fixed — visible in the deliveries, the metrics and the log — instead of its job
   * throwing until pg-boss gives up on it.
   */
  private openSecret(webhook: Webhook): string | null {
    try {
      return this.secretBox.open(webhook.secretSealed);
    } catch (error) {
      this.onSecretNotOpened?.(webhook, error);
      return null;
    }
  }

  private async nextAttempt(m: EntityManager, webhook: Webhook, event: WebhookEvent): Promise<number> {
    const [locked] = await rowsOf<{ id: string }>(m, 'SELECT id FROM webhooks WHERE id = $1 FOR UPDATE', [webhook.id]);
    if (!locked) throw new NotFoundError('Webhook');
    const [last] = await rowsOf<{ n: number }>(
      m,
      'SELECT COALESCE(max(attempt), 0)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2',
      [webhook.id, event.id],
    );
    return last.n + 1;
  }
}
