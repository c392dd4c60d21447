import { createHash } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { DataSource, EntityManager } from 'typeorm';
import type { ExpiryNotifier } from '../api-keys/expiry-notifier';
import type { DeliveryJob, DeliveryScheduler, WebhookDeliverer } from './webhook-deliverer';

export const DELIVERY_QUEUE = 'webhook-delivery';

export interface WebhookJobsOptions {
  connectionString: string;
  /** How often the outbox is scanned for new events. */
  dispatchIntervalMs: number;
  /** How often keys are checked for expiry alerts. */
  expiryCheckIntervalMs: number;
  /** pg-boss worker polling; small in tests. */
  pollingIntervalSeconds: number;
  onError: (error: unknown) => void;
}

/** A stable job id per (webhook, event, attempt): enqueuing the same attempt twice is a no-op. */
function jobId(job: DeliveryJob): string {
  const h = createHash('sha256').update(`${job.webhookId}:${job.eventId}:${job.attempt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The background side of webhooks, on pg-boss (a durable queue in PostgreSQL, so queued
 * deliveries survive restarts): moves outbox events to delivery jobs, runs the jobs, and runs the
 * expiry check. Several instances can run it at once: the outbox is claimed with SKIP LOCKED and
 * job ids are deterministic.
 */
export class WebhookJobs implements DeliveryScheduler {
  private boss?: PgBoss;
  private timers: NodeJS.Timeout[] = [];
  private dispatching?: Promise<number>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliverer: WebhookDeliverer,
    private readonly expiry: ExpiryNotifier,
    private readonly options: WebhookJobsOptions,
  ) {
    deliverer.useScheduler(this);
  }

  async start(): Promise<void> {
    const boss = new PgBoss({ connectionString: this.options.connectionString, schema: 'pgboss', max: 4, application_name: 'keygate-jobs' });
    boss.on('error', this.options.onError);
    await boss.start();
    await boss.createQueue(DELIVERY_QUEUE, { name: DELIVERY_QUEUE, retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 60 });
    await boss.work<DeliveryJob>(DELIVERY_QUEUE, { pollingIntervalSeconds: this.options.pollingIntervalSeconds, batchSize: 5 }, async (jobs) => {
      for (const job of jobs) await this.deliverer.deliver(job.data);
    });
    this.boss = boss;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const timer = setInterval(() => void fn().catch(this.options.onError), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.dispatchIntervalMs, () => this.dispatchPending());
    every(this.options.expiryCheckIntervalMs, () => this.expiry.run());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.dispatching?.catch(() => undefined);
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
    this.boss = undefined;
  }

  async schedule(job: DeliveryJob, startAfter: Date | null, manager?: EntityManager): Promise<void> {
    if (!this.boss) throw new Error('webhook jobs are not started');
    await this.boss.send(DELIVERY_QUEUE, job, {
      id: jobId(job),
      ...(startAfter ? { startAfter } : {}),
      // Inside the caller's transaction: the job exists if and only if that transaction commits.
      ...(manager?.queryRunner ? { db: { executeSql: (text: string, values: unknown[]) => manager.queryRunner!.query(text, values, true).then((r) => ({ rows: r.records })) } } : {}),
    });
  }

  /** Fans undispatched outbox events out to subscribed, enabled webhooks. Returns the count. */
  dispatchPending(): Promise<number> {
    this.dispatching ??= this.dispatchBatch().finally(() => {
      this.dispatching = undefined;
    });
    return this.dispatching;
  }

  private async dispatchBatch(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const events: { id: string; org_id: string; type: string }[] = await m.query(
        `SELECT id, org_id, type FROM webhook_events WHERE dispatched_at IS NULL
          ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
      );
      if (events.length === 0) return 0;
      const targets: { event_id: string; webhook_id: string }[] = await m.query(
        `SELECT e.id AS event_id, w.id AS webhook_id
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS e(id, org_id, type)
           JOIN webhook_events ev ON ev.id = e.id
           -- A new endpoint receives what happens after it exists, not the backlog.
           JOIN webhooks w ON w.org_id = e.org_id AND w.enabled AND e.type = ANY(w.events) AND w.created_at <= ev.created_at`,
        [events.map((e) => e.id), events.map((e) => e.org_id), events.map((e) => e.type)],
      );
      for (const t of targets) await this.schedule({ webhookId: t.webhook_id, eventId: t.event_id, attempt: 1 }, null, m);
      await m.query('UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])', [events.map((e) => e.id)]);
      return events.length;
    });
  }
}
