import type Redis from 'ioredis';

export interface WindowCount {
  /** Hits in the current window, this one included, as far as this instance knows. */
  count: number;
  /** Epoch milliseconds when the window ends. */
  resetAtMs: number;
}

interface Counter {
  /** When this window ends: `windowMs` after its first hit anywhere (Redis's TTL says when). */
  resetAtMs: number;
  /** The shared total Redis last answered (every instance's sent hits). */
  shared: number;
  /** Hits counted here and not yet sent. */
  unsent: number;
  /** Hits sent, whose answer has not come back. */
  sending: number;
  /** When Redis last answered for this counter (ms); 0: not in this window. */
  syncedAt: number;
  /** The round trip a stale counter's hits are waiting on. */
  refreshing: Promise<void> | null;
}

/**
 * Window counters (a window starts at a subject's first hit and lasts `windowMs`), shared by every
 * instance through Redis without a round trip per request.
 *
 * A counter that Redis answered for within the last `syncIntervalMs` counts hits locally; a timer
 * sends the hits of all such counters in one pipeline each interval and learns the shared totals
 * back. A counter not synced that recently (its first hit in the window, or a subject used rarely
 * here) waits for one round trip before deciding. So a busy key pays no round trip at all, a quiet
 * key one per interval, and what an instance knows of the other instances' hits on a key it is
 * using is never older than one interval: across N instances a key can exceed its limit by at most
 * what it sends to the other N − 1 within one interval. `syncIntervalMs = 0` asks Redis on every
 * hit (exact, one round trip each).
 *
 * Without Redis (or while it is unreachable) the counts are this instance's alone: limiting
 * degrades to per instance, never to none.
 */
export class WindowCounters {
  private readonly counters = new Map<string, Counter>();
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    private readonly options: { windowMs: number; syncIntervalMs: number },
  ) {
    const { syncIntervalMs, windowMs } = options;
    // With Redis, sync each interval; without, the same pass still forgets ended windows once a
    // window: counters are per subject (a key, or an IP for failed authentication), and a map
    // that only grows would let a stream of new source addresses fill the heap.
    const every = redis && syncIntervalMs > 0 ? syncIntervalMs : windowMs;
    this.timer = every > 0 ? setInterval(() => void this.sync().catch(() => undefined), every).unref() : null;
  }

  /** Subjects with a counter in memory (ended windows included until the next pass). */
  get size(): number {
    return this.counters.size;
  }

  /** Counts a hit on `subject` and returns the window's count. */
  async hit(subject: string): Promise<WindowCount> {
    const counter = this.counterFor(subject);
    counter.unsent++;
    if (this.redis && Date.now() - counter.syncedAt >= this.options.syncIntervalMs) {
      counter.refreshing ??= this.send([[subject, counter]]).finally(() => (counter.refreshing = null));
      await counter.refreshing;
    }
    return this.read(counter);
  }

  /** The window's count without counting a hit (this instance's view; no round trip). */
  peek(subject: string): WindowCount {
    const counter = this.counters.get(subject);
    return counter && Date.now() < counter.resetAtMs ? this.read(counter) : { count: 0, resetAtMs: Date.now() + this.options.windowMs };
  }

  /**
   * Sends the hits counted since the last sync, for every counter that has some, in one pipeline,
   * and learns their shared totals back. Counters without new hits are left alone: their next hit
   * finds them stale and asks Redis itself. Ended windows are forgotten.
   */
  async sync(): Promise<void> {
    const now = Date.now();
    const due: [string, Counter][] = [];
    for (const [subject, counter] of this.counters) {
      // Without Redis, hits stay unsent for good: an ended window goes whatever it counted.
      const settled = !this.redis || (counter.unsent === 0 && counter.sending === 0);
      if (now >= counter.resetAtMs && settled) this.counters.delete(subject);
      else if (counter.unsent > 0) due.push([subject, counter]);
    }
    if (this.redis && due.length) await this.send(due);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private counterFor(subject: string): Counter {
    const now = Date.now();
    let counter = this.counters.get(subject);
    if (!counter || now >= counter.resetAtMs) {
      counter = { resetAtMs: now + this.options.windowMs, shared: 0, unsent: 0, sending: 0, syncedAt: 0, refreshing: null };
      this.counters.set(subject, counter);
    }
    return counter;
  }

  private read(counter: Counter): WindowCount {
    return { count: counter.shared + counter.sending + counter.unsent, resetAtMs: counter.resetAtMs };
  }

  /**
   * For each counter: INCRBY its unsent hits, start the key's expiry if this made it (PEXPIRE NX,
   * Redis 7), read when it ends (PTTL) — all counters in one pipeline, one round trip.
   */
  private async send(entries: [string, Counter][]): Promise<void> {
    const pipeline = this.redis!.pipeline();
    const sent = entries.map(([subject, counter]) => {
      const n = counter.unsent;
      counter.unsent = 0;
      counter.sending += n;
      const key = `${this.keyPrefix}${subject}`;
      pipeline.incrby(key, n).pexpire(key, this.options.windowMs, 'NX').pttl(key);
      return { counter, n };
    });
    const replies = await pipeline.exec().catch(() => null);
    const now = Date.now();
    sent.forEach(({ counter, n }, i) => {
      counter.sending -= n;
      const [incrError, total] = replies?.[i * 3] ?? [new Error('no reply'), null];
      const [, ttl] = replies?.[i * 3 + 2] ?? [null, -1];
      if (incrError) {
        // Unreachable: keep the hits here, so this instance still limits on what it saw.
        counter.shared += n;
        return;
      }
      counter.shared = Math.max(counter.shared, Number(total));
      if (Number(ttl) > 0) counter.resetAtMs = now + Number(ttl);
      counter.syncedAt = now;
    });
  }
}
