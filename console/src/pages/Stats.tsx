import { useMemo } from 'react';
import { RankedBars, SeriesChart, type Ranked } from '../components/Charts';
import { ErrorText } from '../components/Dialog';
import { useQuery } from '../data';
import { count, moment } from '../format';
import { ConsoleStatsDocument, StatsLinkDocument, type ConsoleStatsQuery } from '../generated/graphql';
import { Link, useSearchParam } from '../router';
import { useScope } from '../session';
import { shortUrl } from '../short-url';

/** The ranges offered, in hours: the last day, week, 30 days, 90 days. */
const RANGES: Record<string, { label: string; hours: number }> = {
  '24h': { label: 'Last 24 hours', hours: 24 },
  '7d': { label: 'Last 7 days', hours: 7 * 24 },
  '30d': { label: 'Last 30 days', hours: 30 * 24 },
  '90d': { label: 'Last 90 days', hours: 90 * 24 },
};
const DEVICES: Record<string, string> = { desktop: 'Desktop', mobile: 'Mobile', tablet: 'Tablet', bot: 'Bot', other: 'Other' };

type Stats = ConsoleStatsQuery['stats'];

const counted = (values: Stats['topCountries'], name: (value: string) => string = (v) => v): Ranked[] =>
  values.map((v) => ({ key: v.value, label: name(v.value), clicks: v.clicks }));

function topLinks(stats: Stats): Ranked[] {
  return stats.topLinks.map((t) => ({
    key: t.linkId,
    clicks: t.clicks,
    label: t.link ? (
      <Link to={`/stats?link=${t.link.id}`} aria-label={`Stats of /${t.link.slug}`}>
        {shortUrl(t.link)}
      </Link>
    ) : (
      `Link ${t.linkId.slice(0, 8)}`
    ),
  }));
}

/** What a per-link view is about: the link's short URL and destination, and the way back. */
function LinkHeading({ id }: { id: string }) {
  const read = useScope('shortLinks:read');
  const link = useQuery(StatsLinkDocument, read.allowed ? { id } : null).data?.shortLink;
  return (
    <p className="hint">
      {link ? (
        <>
          <strong className="url">{shortUrl(link)}</strong> → <span className="url">{link.url}</span>
        </>
      ) : (
        'One link.'
      )}{' '}
      <Link to="/stats">All links</Link>
    </p>
  );
}

/**
 * Click statistics: clicks over time, top links, countries, referrers and devices, for the whole
 * organization or one link (?link=). Range and interval are in the URL (?range=7d&interval=HOUR),
 * so a reload or a shared link shows the same view.
 */
export function StatsPage() {
  const read = useScope('stats:read');
  const links = useScope('shortLinks:read');
  const [rangeParam, setRange] = useSearchParam('range');
  const [intervalParam, setIntervalParam] = useSearchParam('interval');
  const [linkId] = useSearchParam('link');
  const range = RANGES[rangeParam] ? rangeParam : '30d';
  const interval = intervalParam === 'HOUR' || intervalParam === 'DAY' ? intervalParam : range === '24h' ? 'HOUR' : 'DAY';
  // The window starts when the range is chosen (not at every render, which would ask again and again).
  const from = useMemo(() => new Date(Date.now() - RANGES[range].hours * 3_600_000).toISOString(), [range]);
  const filter = { from, ...(linkId && { linkId }) };
  const result = useQuery(ConsoleStatsDocument, read.allowed ? { interval, filter, withLinks: links.allowed } : null);
  const stats = result.data?.stats;
  return (
    <section aria-labelledby="stats-title">
      <h1 id="stats-title">{linkId ? 'Link stats' : 'Stats'}</h1>
      {linkId && <LinkHeading id={linkId} />}
      {!read.allowed && (
        <p className="reason" role="note">
          You cannot see the stats: {read.reason}
        </p>
      )}
      <div className="toolbar" role="group" aria-label="Period">
        <label>
          Range{' '}
          <select value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.entries(RANGES).map(([value, r]) => (
              <option key={value} value={value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Interval{' '}
          <select value={interval} onChange={(e) => setIntervalParam(e.target.value)}>
            <option value="HOUR">Hourly</option>
            <option value="DAY">Daily</option>
          </select>
        </label>
      </div>
      <ErrorText message={stats ? '' : (result.errors[0]?.message ?? '')} />
      {stats && (
        <>
          <p className="total">
            <strong aria-label="Total clicks">{count(stats.totalClicks)}</strong> {stats.totalClicks === 1 ? 'click' : 'clicks'} from{' '}
            {moment(stats.from)} to {moment(stats.to)}
          </p>
          <SeriesChart series={stats.series} interval={stats.interval} title={interval === 'HOUR' ? 'Clicks per hour' : 'Clicks per day'} />
          <div className="tops">
            {!linkId && <RankedBars title="Top links" what="Link" rows={topLinks(stats)} total={stats.totalClicks} />}
            <RankedBars
              title="Countries"
              what="Country"
              rows={counted(stats.topCountries, (c) => (c === '??' ? 'Unknown' : c))}
              total={stats.totalClicks}
            />
            <RankedBars title="Referrers" what="Referrer" rows={counted(stats.topReferrers)} total={stats.totalClicks} />
            <RankedBars title="Devices" what="Device" rows={counted(stats.topDevices, (d) => DEVICES[d] ?? d)} total={stats.totalClicks} />
          </div>
          {!links.allowed && <p className="reason">Links are shown by id: {links.reason}</p>}
        </>
      )}
    </section>
  );
}
