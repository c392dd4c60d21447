/**
 * Webhook retry delays, e.g. `30s,2m,10m,1h,6h,12h`: the delay before attempts 2, 3, … . The
 * default gives 7 attempts over about 19 hours.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DEFAULT_RETRY_SCHEDULE = '30s,2m,10m,1h,6h,12h';
const MAX_RETRIES = 20;

export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error('the retry schedule is empty; give delays such as 30s,2m,10m,1h,6h,12h');
  if (parts.length > MAX_RETRIES) throw new Error(`at most ${MAX_RETRIES} retries`);
  return parts.map((part) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a delay such as 30s, 2m or 1h`);
    return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
  });
}

/** ±10%, so endpoints that failed together are not all retried in the same instant. */
export function withJitter(ms: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (0.9 + 0.2 * random())));
}
