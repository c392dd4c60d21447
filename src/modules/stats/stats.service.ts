import type { DataSource } from 'typeorm';
import type { Caller } from '../../auth/principal';
import { isUuid } from '../../db/pagination';
import { BadUserInputError } from '../../errors';

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

export interface LinkStatsResult {
  from: Date;
  to: Date;
  interval: StatsInterval;
  totalClicks: number;
  series: { bucket: Date; clicks: number }[];
  topReferrers: CountedValue[];
  topCountries: CountedValue[];
  topUserAgents: CountedValue[];
}

const DAY_MS = 24 * 3600 * 1000;

/** The top values of `expr` in `scoped`; ties in byte order (COLLATE "C"), the same on every server locale. */
const top = (expr: string) =>
  `(SELECT coalesce(json_agg(json_build_object('value', value, 'clicks', clicks) ORDER BY clicks DESC, value COLLATE "C"), '[]')
      FROM (SELECT ${expr} AS value, count(*)::int AS clicks FROM scoped GROUP BY 1 ORDER BY 2 DESC, ${expr} COLLATE "C" LIMIT ${TOP}) t)`;
const MAX_RANGE_DAYS = 366;
const TOP = 10;

/**
 * Click statistics, aggregated in SQL (date_trunc over the (link_id, clicked_at) and
 * (org_id, clicked_at) indexes), always scoped to the caller's organization.
 */
export class StatsService {
  constructor(private readonly dataSource: DataSource) {}

  async stats(caller: Caller, filter: StatsFilterArgs | null | undefined, interval: StatsInterval = StatsInterval.DAY): Promise<LinkStatsResult> {
    const f = filter ?? {};
    const to = f.to ?? new Date();
    const from = f.from ?? new Date(to.getTime() - (interval === StatsInterval.HOUR ? 1 : 30) * DAY_MS);
    if (from.getTime() >= to.getTime()) throw new BadUserInputError({ 'filter.from': 'from must be before to.' });
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
      throw new BadUserInputError({ 'filter.to': `The range is at most ${MAX_RANGE_DAYS} days.` });
    }
    const unit = interval === StatsInterval.HOUR ? 'hour' : 'day';
    const empty = { from, to, interval, totalClicks: 0, series: [], topReferrers: [], topCountries: [], topUserAgents: [] };
    // Unknown ids match nothing, exactly like another organization's ids.
    if ((f.linkId && !isUuid(f.linkId)) || (f.domainId && !isUuid(f.domainId))) return { ...empty, series: await this.zeroSeries(unit, from, to) };

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
    const [row] = await this.dataSource.query(
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
         ${top('user_agent_family')} AS agents`,
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
    };
  }

  private async zeroSeries(unit: string, from: Date, to: Date) {
    const rows: { bucket: Date }[] = await this.dataSource.query(
      `SELECT generate_series(date_trunc('${unit}', $1::timestamptz, 'UTC'), date_trunc('${unit}', $2::timestamptz, 'UTC'), interval '1 ${unit}') AS bucket`,
      [from, to],
    );
    return rows.map((r) => ({ bucket: r.bucket, clicks: 0 }));
  }
}
