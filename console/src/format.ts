/** Dates as UTC calendar days (YYYY-MM-DD), the same for every reader wherever they are. */
export function day(value: string | null | undefined, empty = 'Never'): string {
  return value ? value.slice(0, 10) : empty;
}

/** A moment, to the minute, in UTC. */
export function moment(value: string | null | undefined, empty = '—'): string {
  return value ? `${value.slice(0, 10)} ${value.slice(11, 16)} UTC` : empty;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "2026-12-30" for a date `days` from now (what an expiry of N days will read). */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
