/**
 * Webhook retry delays, e.g. `30s,2m,10m,1h,6h,12h`: the delay before attempts 2, 3, … . The
 * default is 6 retries spread over about 19.2 hours, so 7 attempts over about a day.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DEFAULT_RETRY_SCHEDULE = '30s,2m,10m,1h,6h,12h';
export const MAX_RETRIES = 20;
/** One delay longer than this is almost certainly a typo (`12000h`), so it is refused. */
export const MAX_RETRY_DELAY_MS = 30 * UNIT_MS.d;

const EXAMPLE = 'give delays such as 30s,2m,10m,1h,6h,12h (units ms, s, m, h, d)';

/** `30s,2m,…` → delays in ms. Throws an Error that says what is wrong with the text. */
export function parseRetrySchedule(text: string): number[] {
  if (text.trim() === '') throw new Error(`the retry schedule is empty; ${EXAMPLE}`);
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > MAX_RETRIES)
    throw new Error(`the retry schedule has ${parts.length} entries; at most ${MAX_RETRIES} retries are allowed`);
  return parts.map((part, i) => {
    if (part === '') throw new Error(`entry ${i + 1} of the retry schedule is empty; ${EXAMPLE}`);
    const match = /^(\d{1,12})(ms|s|m|h|d)$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a delay; ${EXAMPLE}`);
    const ms = Number(match[1]) * UNIT_MS[match[2]];
    if (ms > MAX_RETRY_DELAY_MS) throw new Error(`"${part}" is longer than the 30-day maximum for one retry delay`);
    return ms;
  });
}

/** The default schedule in ms: 30 s, 2 min, 10 min, 1 h, 6 h, 12 h. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = Object.freeze(parseRetrySchedule(DEFAULT_RETRY_SCHEDULE));

/**
 * `ms` ± up to 10%, rounded, never negative, so endpoints that failed together are not all
 * retried in the same instant. `random` returns a number in [0, 1), like Math.random.
 */
export function withJitter(ms: number, random: () => number = Math.random): number {
  if (!Number.isFinite(ms) || ms <= 0) return 0;
  const drawn = random();
  const r = Number.isFinite(drawn) ? Math.min(1, Math.max(0, drawn)) : 0.5;
  return Math.max(0, Math.round(ms * (0.9 + 0.2 * r)));
}
