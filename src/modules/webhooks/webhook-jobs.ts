import { createHash } from 'node:crypto';
import type { ClientConfig } from 'pg';
import PgBoss from 'pg-boss';
import type { DataSource, EntityManager } from 'typeorm';
import { withAdvisoryLock } from '../../db/advisory-lock';
import type { ExpiryNotifier } from '../api-keys/expiry-notifier';
import type { DeliveryJob, DeliveryScheduler, WebhookDeliverer } from './webhook-deliverer';
import { fetchRunnable, orgKeyOf } from './webhook-job-fetch';

export const DELIVERY_QUEUE = 'webhook-delivery';
/** The advisory lock instances take turns under to create the queue. */
const QUEUE_LOCK = '30229394607928423';

export interface WebhookJobsOptions {
  connectionString: string;
  /** Connection bounds for the queue's own pool (connect timeout, keepalive, statement timeouts). */
  clientOptions?: ClientConfig;
  /** Deliveries in flight in this process: in all, per endpoint, per organization. */
  concurrency?: { total: number; perEndpoint: number; perOrganization: number };
  /** How often the outbox is scanned for new events. */
  dispatchIntervalMs: number;
  /** How often keys are checked for expiry alerts. */
  expiryCheckIntervalMs: number;
  /** pg-boss worker polling; small in tests. */
  pollingIntervalSeconds: number;
  onError: (error: unknown) => void;
}

/**
 * A stable job id per (webhook, event, attempt): enqueuing the same one twice is a no-op. (The
 * deferral suffix names jobs that versions which re-queued busy endpoints' jobs left behind.)
 */
function jobId(job: DeliveryJob): string {
  const deferral = job.deferrals ? `:d${job.deferrals}` : '';
  const h = createHash('sha256').update(`${job.webhookId}:${job.eventId}:${job.attempt}${deferral}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** pg-boss statements run on a transaction's connection, so they commit (or not) with it. */
const inTransaction = (manager: EntityManager): PgBoss.Db => ({
  executeSql: (text: string, values: unknown[]) => manager.queryRunner!.query(text, values, true).then((r) => ({ rows: r.records })),
});

const DEFAULT_CONCURRENCY = { total: 10, perEndpoint: 2, perOrganization: 5 };
const SCHEMA = 'pgboss';
/** Outbox events moved to jobs per dispatch transaction; a full batch is followed by another at once. */
const DISPATCH_BATCH = 200;

/**
 * The background side of webhooks, on pg-boss (a durable queue in PostgreSQL, so queued
 * deliveries survive restarts): moves outbox events to delivery jobs, runs the jobs, and runs the
 * expiry check. Several instances can run it at once: the outbox is claimed with SKIP LOCKED and
 * job ids are deterministic.
 *
 * Deliveries are isolated per endpoint: jobs are fetched as slots free up and each runs on its
 * own (one hanging endpoint never holds a batch), at most `perEndpoint` at once for an endpoint
 * and `perOrganization` for an organization. The fetch itself applies the caps (see
 * webhook-job-fetch.ts): it takes only jobs that may start now and leaves a busy endpoint's
 * jobs queued, so the slot goes to the next runnable job — another endpoint's or another
 * organization's — and a slow receiver delays only itself. Each job is one attempt; a job is
 * never re-queued to wait for its endpoint, and the next job of an endpoint is fetched as soon
 * as one of its deliveries ends.
 */
export class WebhookJobs implements DeliveryScheduler {
  private boss?: PgBoss;
  private timers: NodeJS.Timeout[] = [];
  private dispatching?: Promise<number>;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly perOrganization = new Map<string, number>();
  private wake?: () => void;
  /** A slot freed (or jobs were queued) while a fetch was running: fetch again without waiting. */
  private woken = false;
  private fetchLoop?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliverer: WebhookDeliverer,
    private readonly expiry: ExpiryNotifier,
    private readonly options: WebhookJobsOptions,
  ) {
    deliverer.useScheduler(this);
    // Logged as before ('webhook job failed'), though the attempt is now recorded and retried.
    deliverer.onSecretNotOpened = (_webhook, error) => options.onError(error);
  }

  async start(): Promise<void> {
    const boss = new PgBoss({
      ...(this.options.clientOptions as object),
      connectionString: this.options.connectionString,
      schema: SCHEMA,
      max: 4,
      application_name: 'keygate-jobs',
    });
    boss.on('error', this.options.onError);
    await boss.start();
    // pg-boss's createQueue deadlocks when several instances run it at once on a new database
    // (seen with three starting together): they take turns; after the first it changes nothing.
    await withAdvisoryLock(this.dataSource, QUEUE_LOCK, () =>
      boss.createQueue(DELIVERY_QUEUE, {
        name: DELIVERY_QUEUE,
        retryLimit: 3,
        retryDelay: 30,
        retryBackoff: true,
        expireInSeconds: 60,
      }),
    );
    this.boss = boss;
    this.running = true;
    this.fetchLoop = this.fetchJobs();
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
    this.running = false;
    this.poke();
    await this.fetchLoop;
    // Each delivery in flight is bounded by the webhook timeout and the statement timeouts.
    await Promise.all(this.inFlight);
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
      ...(manager?.queryRunner ? { db: inTransaction(manager) } : {}),
    });
  }

  private get limits() {
    return this.options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /** Ends the fetch loop's wait now, or makes its next wait end at once if it is fetching. */
  private poke(): void {
    this.woken = true;
    this.wake?.();
  }

  /**
   * Fetches as many runnable jobs as there are free slots, whenever a delivery ends, jobs are
   * dispatched here, or the polling interval passes (jobs queued by other instances, retries
   * coming due).
   */
  private async fetchJobs(): Promise<void> {
    while (this.running) {
      this.woken = false;
      const free = this.limits.total - this.inFlight.size;
      let fetched = 0;
      if (free > 0) {
        try {
          const jobs = await fetchRunnable(this.boss!, SCHEMA, DELIVERY_QUEUE, free, {
            perEndpoint: this.perEndpoint,
            perOrganization: this.perOrganization,
            limits: this.limits,
          });
          fetched = jobs.length;
          for (const job of jobs) this.run(job);
        } catch (error) {
          this.options.onError(error);
        }
      }
      // A full batch means more may be waiting: fetch again at once.
      if (this.running && !this.woken && (free <= 0 || fetched < free)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollingIntervalSeconds * 1000);
          this.wake = () => {
            clearTimeout(timer);
            this.wake = undefined;
            resolve();
          };
        });
      }
    }
  }

  /**
   * Runs a job the fetch judged runnable. It holds its endpoint's and organization's slots while
   * its request is out (the caps bound requests to receivers), and a slot of `total` until the
   * attempt is recorded; the job completes in the transaction that records the attempt.
   */
  private run(job: PgBoss.Job<DeliveryJob>): void {
    const { webhookId } = job.data;
    const orgKey = orgKeyOf(job.data);
    const count = (map: Map<string, number>, key: string, by: number) => {
      const n = (map.get(key) ?? 0) + by;
      if (n > 0) map.set(key, n);
      else map.delete(key);
    };
    count(this.perEndpoint, webhookId, 1);
    count(this.perOrganization, orgKey, 1);
    let holding = true;
    // The endpoint's next job can be fetched while this attempt is being recorded.
    const release = () => {
      if (!holding) return;
      holding = false;
      count(this.perEndpoint, webhookId, -1);
      count(this.perOrganization, orgKey, -1);
      this.poke();
    };
    let completed = false;
    const hooks = {
      onSent: release,
      beforeCommit: async (m: EntityManager) => {
        await this.boss!.complete(DELIVERY_QUEUE, job.id, {}, { db: inTransaction(m) });
        completed = true;
      },
    };
    const work = this.deliverer.deliver(job.data, hooks).then(
      // Nothing was recorded (the endpoint is gone or disabled, the attempt already made).
      () => (completed ? undefined : this.boss!.complete(DELIVERY_QUEUE, job.id)),
      (error: unknown) => {
        this.options.onError(error);
        return this.boss!.fail(DELIVERY_QUEUE, job.id, { message: error instanceof Error ? error.message : String(error) });
      },
    );
    const settled = work.catch(this.options.onError).finally(() => {
      release();
      this.inFlight.delete(settled);
      this.poke();
    });
    this.inFlight.add(settled);
  }

  /** Fans undispatched outbox events out to subscribed, enabled webhooks. Returns the count. */
  dispatchPending(): Promise<number> {
    this.dispatching ??= this.dispatchAll().finally(() => {
      this.dispatching = undefined;
    });
    return this.dispatching;
  }

  /** Batch after batch while they come full (a burst is queued at once, not 200 per interval). */
  private async dispatchAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.dispatchBatch();
      total += n;
      // The jobs just queued can start now, not at the next polling interval.
      if (n > 0) this.poke();
      if (n < DISPATCH_BATCH || !this.running) return total;
    }
  }

  private async dispatchBatch(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const events: { id: string; org_id: string; type: string }[] = await m.query(
        `SELECT id, org_id, type FROM webhook_events WHERE dispatched_at IS NULL
          ORDER BY created_at LIMIT ${DISPATCH_BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (events.length === 0) return 0;
      const targets: { event_id: string; webhook_id: string; org_id: string }[] = await m.query(
        `SELECT e.id AS event_id, w.id AS webhook_id, w.org_id
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS e(id, org_id, type)
           JOIN webhook_events ev ON ev.id = e.id
           -- A new endpoint receives what happens after it exists, not the backlog.
           JOIN webhooks w ON w.org_id = e.org_id AND w.enabled AND e.type = ANY(w.events) AND w.created_at <= ev.created_at`,
        [events.map((e) => e.id), events.map((e) => e.org_id), events.map((e) => e.type)],
      );
      for (const t of targets) await this.schedule({ webhookId: t.webhook_id, orgId: t.org_id, eventId: t.event_id, attempt: 1 }, null, m);
      await m.query('UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])', [events.map((e) => e.id)]);
      return events.length;
    });
  }
}
