import type { DataSource } from 'typeorm';
import type { Caller } from '../../auth/principal';
import { isUuid } from '../../kernel/ids';
import { BadUserInputError } from '../../kernel/errors';

export enum StatsInterval {
  HOUR = 'HOUR',
  DAY = 'DAY',
}

export interface StatsFilterArgs {
  linkId?: string | null;
  domainId?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export interface CountedValue {
  value: string;
  clicks: number;
}

/** A link and its clicks in a range (`topLinks`). */
export interface LinkClicksResult {
  linkId: string;
  clicks: number;
}

export interface LinkStatsResult {
  from: Date;
  to: Date;
  interval: StatsInterval;
  totalClicks: number;
  series: { bucket: Date; clicks: number }[];
  topReferrers: CountedValue[];
  topCountries: CountedValue[];
  topUserAgents: CountedValue[];
  topDevices: CountedValue[];
  topLinks: LinkClicksResult[];
}

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;
export const MAX_RANGE_DAYS = 366;
/** Entries in each top list. */
export const TOP_VALUES = 10;
const TOP = TOP_VALUES;

/** The top values of `expr` in `scoped`; ties in byte order (COLLATE "C"), the same on every server locale. */
const top = (expr: string) =>
  `(SELECT coalesce(json_agg(json_build_object('value', value, 'clicks', clicks) ORDER BY clicks DESC, value COLLATE "C"), '[]')
      FROM (SELECT ${expr} AS value, count(*)::int AS clicks FROM scoped GROUP BY 1 ORDER BY 2 DESC, ${expr} COLLATE "C" LIMIT ${TOP}) t)`;

/** The range a stats query covers: `to` defaults to now, `from` to 24 hours (HOUR) or 30 days (DAY) before it. */
export function statsRange(interval: StatsInterval, from?: Date | null, to?: Date | null, now = new Date()): { from: Date; to: Date } {
  const end = to ?? now;
  return { from: from ?? new Date(end.getTime() - (interval === StatsInterval.HOUR ? 1 : 30) * DAY_MS), to: end };
}

/** Buckets in the zero-filled series: every hour or UTC day from the one holding `from` to the one holding `to`. */
export function bucketCount(interval: StatsInterval, from?: Date | null, to?: Date | null): number {
  const range = statsRange(interval, from, to);
  const unit = interval === StatsInterval.HOUR ? HOUR_MS : DAY_MS;
  return Math.floor(range.to.getTime() / unit) - Math.floor(range.from.getTime() / unit) + 1;
}

function checkRange(from: Date, to: Date): void {
  if (from.getTime() >= to.getTime()) throw new BadUserInputError({ 'filter.from': 'from must be before to.' });
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new BadUserInputError({ 'filter.to': `The range is at most ${MAX_RANGE_DAYS} days.` });
  }
}

/**
 * Click statistics, aggregated in SQL (date_trunc over the (link_id, clicked_at) and
 * (org_id, clicked_at) indexes), always scoped to the caller's organization.
 */
export class StatsService {
  constructor(private readonly dataSource: DataSource) {}

  async stats(
    caller: Caller,
    filter: StatsFilterArgs | null | undefined,
    interval: StatsInterval = StatsInterval.DAY,
  ): Promise<LinkStatsResult> {
    const db = caller.db ?? this.dataSource;
    const f = filter ?? {};
    const { from, to } = statsRange(interval, f.from, f.to);
    checkRange(from, to);
    const unit = interval === StatsInterval.HOUR ? 'hour' : 'day';
    const empty = {
      from,
      to,
      interval,
      totalClicks: 0,
      series: [],
      topReferrers: [],
      topCountries: [],
      topUserAgents: [],
      topDevices: [],
      topLinks: [],
    };
    // Unknown ids match nothing, exactly like another organization's ids.
    if ((f.linkId && !isUuid(f.linkId)) || (f.domainId && !isUuid(f.domainId)))
      return { ...empty, series: await this.zeroSeries(db, unit, from, to) };

    const params: unknown[] = [caller.principal.orgId, from, to];
    let scope = 'c.org_id = $1 AND c.clicked_at >= $2 AND c.clicked_at < $3';
    if (f.linkId) {
      params.push(f.linkId);
      scope += ` AND c.link_id = $${params.length}`;
    }
    if (f.domainId) {
      params.push(f.domainId);
      scope += ` AND c.link_id IN (SELECT id FROM short_links WHERE org_id = $1 AND domain_id = $${params.length})`;
    }

    // One round trip: the zero-filled series plus the three top lists, as JSON.
    const [row] = await db.query(
      `WITH scoped AS (SELECT * FROM link_clicks c WHERE ${scope}),
       buckets AS (
         SELECT generate_series(date_trunc('${unit}', $2::timestamptz, 'UTC'), date_trunc('${unit}', $3::timestamptz, 'UTC'), interval '1 ${unit}') AS bucket
       ),
       counted AS (SELECT date_trunc('${unit}', clicked_at, 'UTC') AS bucket, count(*)::int AS clicks FROM scoped GROUP BY 1)
       SELECT
         (SELECT count(*)::int FROM scoped) AS total,
         (SELECT coalesce(json_agg(json_build_object('bucket', b.bucket, 'clicks', coalesce(c.clicks, 0)) ORDER BY b.bucket), '[]')
            FROM buckets b LEFT JOIN counted c USING (bucket)) AS series,
         ${top("coalesce(referrer_host, '(direct)')")} AS referrers,
         ${top("coalesce(country, '??')")} AS countries,
         ${top('user_agent_family')} AS agents,
         ${top('device')} AS devices,
         -- The organization's links with most clicks: ids only (whether the caller may read a link is LinkClicks.link's own requirement).
         (SELECT coalesce(json_agg(json_build_object('linkId', link_id, 'clicks', clicks) ORDER BY clicks DESC, link_id), '[]')
            FROM (SELECT link_id, count(*)::int AS clicks FROM scoped GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${TOP}) t) AS links`,
      params,
    );
    return {
      from,
      to,
      interval,
      totalClicks: row.total,
      series: (row.series as { bucket: string; clicks: number }[]).map((s) => ({ bucket: new Date(s.bucket), clicks: s.clicks })),
      topReferrers: row.referrers,
      topCountries: row.countries,
      topUserAgents: row.agents,
      topDevices: row.devices,
      topLinks: row.links,
    };
  }

  /**
   * The stats of many links over one range, in one statement: what `ShortLink.stats` of every
   * link in a page needs (through a per-request DataLoader), instead of one statement per link.
   * Each result equals what `stats` with that `linkId` returns. On the request's budgeted view of
   * the database (`db`, as the loaders have it): static, so no call can reach for an app-wide one.
   */
  static async forLinks(
    db: DataSource,
    orgId: string,
    linkIds: readonly string[],
    range: { from?: Date | null; to?: Date | null },
    interval: StatsInterval,
  ): Promise<LinkStatsResult[]> {
    const { from, to } = statsRange(interval, range.from, range.to);
    checkRange(from, to);
    const unit = interval === StatsInterval.HOUR ? 'hour' : 'day';
    const rows: {
      link_id: string;
      total: number;
      series: { bucket: string; clicks: number }[];
      referrers: CountedValue[];
      countries: CountedValue[];
      agents: CountedValue[];
      devices: CountedValue[];
    }[] = await db.query(
      `WITH ids AS (SELECT DISTINCT unnest($4::uuid[]) AS link_id),
         scoped AS (
           SELECT c.link_id, c.clicked_at, coalesce(c.referrer_host, '(direct)')::text AS referrer,
                  coalesce(c.country, '??')::text AS country, c.user_agent_family::text AS agent, c.device::text AS device
             FROM link_clicks c
            WHERE c.org_id = $1 AND c.clicked_at >= $2 AND c.clicked_at < $3 AND c.link_id = ANY($4::uuid[])),
         buckets AS (
           SELECT generate_series(date_trunc('${unit}', $2::timestamptz, 'UTC'), date_trunc('${unit}', $3::timestamptz, 'UTC'), interval '1 ${unit}') AS bucket),
         counted AS (SELECT link_id, date_trunc('${unit}', clicked_at, 'UTC') AS bucket, count(*)::int AS clicks FROM scoped GROUP BY 1, 2),
         series AS (
           SELECT i.link_id, json_agg(json_build_object('bucket', b.bucket, 'clicks', coalesce(c.clicks, 0)) ORDER BY b.bucket) AS series
             FROM ids i CROSS JOIN buckets b LEFT JOIN counted c ON c.link_id = i.link_id AND c.bucket = b.bucket
            GROUP BY i.link_id),
         totals AS (SELECT link_id, count(*)::int AS total FROM scoped GROUP BY 1),
         grouped AS (
           SELECT link_id, 'referrers' AS list, referrer AS value, count(*)::int AS clicks FROM scoped GROUP BY 1, 3
           UNION ALL SELECT link_id, 'countries', country, count(*)::int FROM scoped GROUP BY 1, 3
           UNION ALL SELECT link_id, 'agents', agent, count(*)::int FROM scoped GROUP BY 1, 3
           UNION ALL SELECT link_id, 'devices', device, count(*)::int FROM scoped GROUP BY 1, 3),
         ranked AS (
           SELECT link_id, list, value, clicks,
                  row_number() OVER (PARTITION BY link_id, list ORDER BY clicks DESC, value COLLATE "C") AS rank
             FROM grouped),
         tops AS (
           SELECT link_id, list, json_agg(json_build_object('value', value, 'clicks', clicks) ORDER BY rank) AS values
             FROM ranked WHERE rank <= ${TOP} GROUP BY 1, 2)
         SELECT i.link_id, coalesce(t.total, 0) AS total, s.series,
                coalesce((SELECT values FROM tops WHERE tops.link_id = i.link_id AND list = 'referrers'), '[]') AS referrers,
                coalesce((SELECT values FROM tops WHERE tops.link_id = i.link_id AND list = 'countries'), '[]') AS countries,
                coalesce((SELECT values FROM tops WHERE tops.link_id = i.link_id AND list = 'agents'), '[]') AS agents,
                coalesce((SELECT values FROM tops WHERE tops.link_id = i.link_id AND list = 'devices'), '[]') AS devices
           FROM ids i LEFT JOIN totals t USING (link_id) LEFT JOIN series s USING (link_id)`,
      [orgId, from, to, linkIds],
    );
    const byLink = new Map(rows.map((r) => [r.link_id, r]));
    return linkIds.map((id) => {
      const r = byLink.get(id)!;
      return {
        from,
        to,
        interval,
        totalClicks: r.total,
        series: r.series.map((b) => ({ bucket: new Date(b.bucket), clicks: b.clicks })),
        topReferrers: r.referrers,
        topCountries: r.countries,
        topUserAgents: r.agents,
        topDevices: r.devices,
        // Within one link's stats the only link is that one.
        topLinks: r.total > 0 ? [{ linkId: id, clicks: r.total }] : [],
      };
    });
  }

  private async zeroSeries(db: DataSource, unit: string, from: Date, to: Date) {
    const rows: { bucket: Date }[] = await db.query(
      `SELECT generate_series(date_trunc('${unit}', $1::timestamptz, 'UTC'), date_trunc('${unit}', $2::timestamptz, 'UTC'), interval '1 ${unit}') AS bucket`,
      [from, to],
    );
    return rows.map((r) => ({ bucket: r.bucket, clicks: 0 }));
  }
}
