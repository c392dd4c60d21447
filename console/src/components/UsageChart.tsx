import { useId } from 'react';

export interface Day {
  day: string;
  requests: number;
}

const WIDTH = 600;
const HEIGHT = 160;
const AXIS = 20;

/** Requests per day as bars, hand-drawn SVG; each bar carries its day and count for screen readers. */
export function UsageChart({ days, label }: { days: Day[]; label: string }) {
  const titleId = useId();
  const max = Math.max(1, ...days.map((d) => d.requests));
  const total = days.reduce((sum, d) => sum + d.requests, 0);
  const slot = WIDTH / Math.max(1, days.length);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT + AXIS}`} role="img" aria-labelledby={titleId}>
        <title id={titleId}>
          {label}: {total} requests in {days.length} days, at most {max === 1 && total === 0 ? 0 : max} in one day
        </title>
        <line x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} className="axis" />
        {days.map((d, i) => {
          const h = Math.round((d.requests / max) * (HEIGHT - 10));
          return (
            <rect key={d.day} x={i * slot + 2} y={HEIGHT - h} width={Math.max(1, slot - 4)} height={h} className="bar">
              <title>
                {d.day}: {d.requests} requests
              </title>
            </rect>
          );
        })}
        {days.length > 0 && (
          <>
            <text x="0" y={HEIGHT + 15} className="tick">
              {days[0].day}
            </text>
            <text x={WIDTH} y={HEIGHT + 15} className="tick" textAnchor="end">
              {days[days.length - 1].day}
            </text>
            <text x={WIDTH} y="12" className="tick" textAnchor="end">
              max {max}/day
            </text>
          </>
        )}
      </svg>
      <figcaption>
        {label}: {total} requests in the last {days.length} days
      </figcaption>
    </figure>
  );
}
