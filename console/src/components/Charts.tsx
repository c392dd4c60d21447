import { useId, type ReactNode } from 'react';
import { count } from '../format';

// Hand-written on purpose, by weight (Vite production build, 2026-12): a Recharts 3.10 BarChart adds
// about 364 KB raw / 103 KB gzip to the bundle, Chart.js 4.6 with only its bar chart registered
// about 150 KB / 51 KB; these charts together with the Short links and Stats pages add 9.5 KB / 2.4 KB.

export interface Bucket {
  bucket: string;
  clicks: number;
}

const WIDTH = 600;
const HEIGHT = 150;
const AXIS = 18;

/** A bucket's name: its UTC day, or its UTC hour. */
export function bucketLabel(bucket: string, interval: 'HOUR' | 'DAY'): string {
  return interval === 'HOUR' ? `${bucket.slice(0, 10)} ${bucket.slice(11, 13)}:00` : bucket.slice(0, 10);
}

/**
 * Clicks over time as bars, hand-drawn SVG that scales to its box (no horizontal scroll at any
 * width). Screen readers and tests read the summary (the SVG's title and the caption) and the
 * numbers table below it, one row per bucket.
 */
export function SeriesChart({ series, interval, title }: { series: Bucket[]; interval: 'HOUR' | 'DAY'; title: string }) {
  const titleId = useId();
  const max = Math.max(0, ...series.map((b) => b.clicks));
  const total = series.reduce((sum, b) => sum + b.clicks, 0);
  const slot = WIDTH / Math.max(1, series.length);
  const unit = interval === 'HOUR' ? 'hour' : 'day';
  const peak = series.find((b) => b.clicks === max && max > 0);
  const summary =
    `${count(total)} ${total === 1 ? 'click' : 'clicks'} in ${series.length} ${unit}s` +
    (peak ? `, at most ${count(max)} in one ${unit} (${bucketLabel(peak.bucket, interval)})` : '');
  return (
    <figure className="chart series">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + AXIS}`} role="img" aria-labelledby={titleId} preserveAspectRatio="none">
        <title id={titleId}>{`${title}: ${summary}`}</title>
        <line x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} className="axis" />
        {series.map((b, i) => {
          const h = max ? Math.round((b.clicks / max) * (HEIGHT - 8)) : 0;
          return (
            <rect key={b.bucket} x={i * slot + slot * 0.1} y={HEIGHT - h} width={Math.max(0.5, slot * 0.8)} height={h} className="bar">
              <title>{`${bucketLabel(b.bucket, interval)}: ${b.clicks}`}</title>
            </rect>
          );
        })}
      </svg>
      {series.length > 0 && (
        <div className="ticks" aria-hidden="true">
          <span>{bucketLabel(series[0].bucket, interval)}</span>
          <span>{bucketLabel(series[series.length - 1].bucket, interval)}</span>
        </div>
      )}
      <figcaption>
        {title}: {summary}
      </figcaption>
      <details>
        <summary>Numbers per {unit}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{interval === 'HOUR' ? 'Hour (UTC)' : 'Day (UTC)'}</th>
              <th scope="col">Clicks</th>
            </tr>
          </thead>
          <tbody>
            {series.map((b) => (
              <tr key={b.bucket}>
                <th scope="row">{bucketLabel(b.bucket, interval)}</th>
                <td className="num">{count(b.clicks)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export interface Ranked {
  key: string;
  /** What the row is: text, or a link to it. */
  label: ReactNode;
  clicks: number;
}

/**
 * A top list as a table (its caption names it; each row: what, clicks, share) with a bar drawn
 * behind the share, so it reads the same to a screen reader, a test, and at 390 px.
 */
export function RankedBars({ title, rows, total, what }: { title: string; rows: Ranked[]; total: number; what: string }) {
  return (
    <table className="ranked">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">{what}</th>
          <th scope="col">Clicks</th>
          <th scope="col">Share</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <td colSpan={3}>No clicks in this range.</td>
          </tr>
        )}
        {rows.map((row) => {
          const share = total ? Math.round((row.clicks / total) * 100) : 0;
          return (
            <tr key={row.key}>
              <th scope="row">{row.label}</th>
              <td className="num">{count(row.clicks)}</td>
              <td className="share">
                <span className="meter" style={{ width: `${share}%` }} />
                <span>{share}%</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
