import type PgBoss from 'pg-boss';
import type { DeliveryJob } from './webhook-deliverer';

/** What this process has in flight, and the caps it runs under. */
export interface Occupancy {
  perEndpoint: ReadonlyMap<string, number>;
  perOrganization: ReadonlyMap<string, number>;
  limits: { perEndpoint: number; perOrganization: number };
}

/** The key a job counts against for the per-organization cap (jobs queued by old versions have no orgId). */
export const orgKeyOf = (job: DeliveryJob): string => job.orgId ?? `webhook:${job.webhookId}`;

/** Rows of the queue looked at per fetch: enough to find runnable jobs behind a busy endpoint's few. */
const SCAN = 200;

/**
 * pg-boss 10's own fetch (plans.js `fetchNextJob`: oldest first, `FOR UPDATE SKIP LOCKED`, then
 * `state = 'active'`), narrowed to the jobs this process may start now: none for an endpoint or
 * organization at its cap, and per endpoint and per organization no more than its free slots.
 * A job is therefore taken only when it can run, and never put back: one queue job per attempt.
 * The rows looked at but not taken stay queued (their locks end with the statement) for the
 * next fetch here or on another instance.
 */
const FETCH_RUNNABLE = (schema: string) => `
  WITH candidates AS (
    SELECT id, priority, created_on,
           data->>'webhookId' AS endpoint,
           COALESCE(data->>'orgId', 'webhook:' || (data->>'webhookId')) AS org
      FROM ${schema}.job
     WHERE name = $1 AND state < 'active' AND start_after < now()
       AND NOT (data->>'webhookId' = ANY($3::text[]))
       AND NOT (COALESCE(data->>'orgId', 'webhook:' || (data->>'webhookId')) = ANY($4::text[]))
     ORDER BY priority DESC, created_on, id
     LIMIT ${SCAN}
     FOR UPDATE SKIP LOCKED
  ), ranked_by_endpoint AS (
    SELECT c.*, row_number() OVER (PARTITION BY endpoint ORDER BY priority DESC, created_on, id) AS n FROM candidates c
  ), within_endpoint AS (
    SELECT r.*, row_number() OVER (PARTITION BY r.org ORDER BY r.priority DESC, r.created_on, r.id) AS m
      FROM ranked_by_endpoint r
      LEFT JOIN unnest($5::text[], $6::int[]) AS e(endpoint_id, busy) ON e.endpoint_id = r.endpoint
     WHERE r.n <= $7 - COALESCE(e.busy, 0)
  ), chosen AS (
    SELECT w.id FROM within_endpoint w
      LEFT JOIN unnest($8::text[], $9::int[]) AS o(org_id, busy) ON o.org_id = w.org
     WHERE w.m <= $10 - COALESCE(o.busy, 0)
     ORDER BY w.priority DESC, w.created_on, w.id
     LIMIT $2
  ), taken AS (
    UPDATE ${schema}.job j SET
      state = 'active',
      started_on = now(),
      retry_count = CASE WHEN j.started_on IS NOT NULL THEN j.retry_count + 1 ELSE j.retry_count END
      FROM chosen
     WHERE j.name = $1 AND j.id = chosen.id
    RETURNING j.id, j.name, j.data
  )
  SELECT t.id, t.name, t.data, (SELECT count(*) FROM candidates)::int AS scanned FROM taken t`;

/**
 * Up to `free` delivery jobs that may start now under the per-endpoint and per-organization caps.
 * When the window of SCAN rows was full and gave fewer than `free` (one endpoint's or
 * organization's backlog filled it, and its cap took only a few), the fetch runs again with the
 * jobs just taken counted: the endpoints and organizations they filled are then left out of the
 * window, which reaches the jobs behind them. Each further round takes at least one job or ends.
 */
export async function fetchRunnable(
  boss: PgBoss,
  schema: string,
  queue: string,
  free: number,
  occupancy: Occupancy,
): Promise<PgBoss.Job<DeliveryJob>[]> {
  const { limits } = occupancy;
  const perEndpoint = new Map(occupancy.perEndpoint);
  const perOrganization = new Map(occupancy.perOrganization);
  const full = (map: ReadonlyMap<string, number>, cap: number) => [...map].filter(([, n]) => n >= cap).map(([id]) => id);
  const taken: PgBoss.Job<DeliveryJob>[] = [];
  while (taken.length < free) {
    const result = await boss
      .getDb()
      .executeSql(FETCH_RUNNABLE(schema), [
        queue,
        free - taken.length,
        full(perEndpoint, limits.perEndpoint),
        full(perOrganization, limits.perOrganization),
        [...perEndpoint.keys()],
        [...perEndpoint.values()],
        limits.perEndpoint,
        [...perOrganization.keys()],
        [...perOrganization.values()],
        limits.perOrganization,
      ]);
    const rows = (result?.rows ?? []) as (PgBoss.Job<DeliveryJob> & { scanned: number })[];
    for (const { scanned: _, ...job } of rows) {
      taken.push(job);
      perEndpoint.set(job.data.webhookId, (perEndpoint.get(job.data.webhookId) ?? 0) + 1);
      perOrganization.set(orgKeyOf(job.data), (perOrganization.get(orgKeyOf(job.data)) ?? 0) + 1);
    }
    // Nothing taken, or the window held every due job: nothing more to find now.
    if (rows.length === 0 || rows[0].scanned < SCAN) break;
  }
  return taken;
}
