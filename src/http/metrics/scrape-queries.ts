import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DELIVERY_QUEUE } from '../../modules/webhooks/webhook-jobs';

/**
 * The most rows one scrape query reads: a backlog beyond it is reported as this number (read it
 * as "at least"), so a scrape costs the same however far behind the queue is.
 */
export const SCRAPE_ROW_CAP = 100_000;
/** The window of `keygate_webhook_deliveries_recent`. */
export const RECENT_DELIVERIES_MINUTES = 5;
/** Webhooks whose recent deliveries one scrape reads (one index range scan each). */
const WEBHOOK_CAP = 10_000;

const QUEUE_STATES = ['queued', 'deferred', 'active'] as const;
const DELIVERY_OUTCOMES = ['succeeded', 'failed'] as const;

// pg-boss's job table is partitioned by queue name, so `name = $1` reads one partition; states
// before 'completed' (created, retry, active) are the ones still to run.
const QUEUE_SQL = `
  SELECT CASE WHEN state = 'active' THEN 'active' WHEN start_after > now() THEN 'deferred' ELSE 'queued' END AS state,
         count(*)::int AS n
  FROM (SELECT state, start_after FROM pgboss.job WHERE name = $1 AND state < 'completed' LIMIT ${SCRAPE_ROW_CAP}) j
  GROUP BY 1`;
// The outbox's partial index (dispatched_at IS NULL) holds exactly these rows.
const OUTBOX_SQL = `SELECT count(*)::int AS n FROM (SELECT 1 FROM webhook_events WHERE dispatched_at IS NULL LIMIT ${SCRAPE_ROW_CAP}) e`;
// One range scan of (webhook_id, created_at) per webhook; the outer LIMIT stops the nested loop.
const RECENT_SQL = `
  SELECT CASE WHEN d.succeeded THEN 'succeeded' ELSE 'failed' END AS outcome, count(*)::int AS n
  FROM (
    SELECT d.succeeded
    FROM (SELECT id FROM webhooks LIMIT ${WEBHOOK_CAP}) w
    CROSS JOIN LATERAL (
      SELECT succeeded FROM webhook_deliveries
      WHERE webhook_id = w.id AND created_at > now() - interval '${RECENT_DELIVERIES_MINUTES} minutes'
    ) d
    LIMIT ${SCRAPE_ROW_CAP}
  ) d
  GROUP BY 1`;

type Rows = { state?: string; outcome?: string; n: number }[];

/**
 * Webhook queue depth and delivery outcomes, read from PostgreSQL when Prometheus scrapes: the
 * same numbers from every instance (the queue is shared), never written by the request path or
 * the workers. Read-only, each query bounded by SCRAPE_ROW_CAP; a failed query leaves its metric
 * absent from that scrape and logs a warning.
 */
export class ScrapeQueries {
  private pgBoss = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly warn: (details: object, message: string) => void,
  ) {}

  register(registers: Registry[]): void {
    // `collect` runs with the gauge as `this`: the queries are bound here.
    const queue = () => this.read('queue depth', async () => ((await this.hasPgBoss()) ? this.query(QUEUE_SQL, [DELIVERY_QUEUE]) : []));
    const outbox = () => this.read('outbox', () => this.query(OUTBOX_SQL));
    const recent = () => this.read('recent deliveries', () => this.query(RECENT_SQL));
    new Gauge({
      name: 'keygate_webhook_queue_jobs',
      help: `Webhook delivery jobs on the pg-boss queue, by state: queued (due), deferred (due later), active (being delivered); at most ${SCRAPE_ROW_CAP}`,
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        const rows = await queue();
        if (!rows) return;
        for (const state of QUEUE_STATES) this.set({ queue: DELIVERY_QUEUE, state }, rows.find((r) => r.state === state)?.n ?? 0);
      },
    });
    new Gauge({
      name: 'keygate_webhook_outbox_events',
      help: `Webhook events committed but not yet turned into delivery jobs; at most ${SCRAPE_ROW_CAP}`,
      registers,
      async collect() {
        this.reset();
        const rows = await outbox();
        if (rows) this.set(rows[0]?.n ?? 0);
      },
    });
    new Gauge({
      name: 'keygate_webhook_deliveries_recent',
      help: `Webhook delivery attempts recorded in the last ${RECENT_DELIVERIES_MINUTES} minutes, by outcome`,
      labelNames: ['outcome'],
      registers,
      async collect() {
        this.reset();
        const rows = await recent();
        if (!rows) return;
        for (const outcome of DELIVERY_OUTCOMES) this.set({ outcome }, rows.find((r) => r.outcome === outcome)?.n ?? 0);
      },
    });
  }

  private query(sql: string, parameters: unknown[] = []): Promise<Rows> {
    return this.dataSource.query(sql, parameters) as Promise<Rows>;
  }

  /** pg-boss creates its schema when the first process with JOBS_ENABLED starts. */
  private async hasPgBoss(): Promise<boolean> {
    if (!this.pgBoss)
      this.pgBoss = ((await this.query(`SELECT to_regclass('pgboss.job') IS NOT NULL AS n`)) as unknown as { n: boolean }[])[0].n;
    return this.pgBoss;
  }

  private async read(what: string, fn: () => Promise<Rows>): Promise<Rows | null> {
    try {
      return await fn();
    } catch (error) {
      this.warn({ metric: what, err: error }, 'metrics scrape query failed');
      return null;
    }
  }
}
