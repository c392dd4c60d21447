import { setImmediate as nextTurn } from 'node:timers/promises';
import type Redis from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import type { WriteJournal } from './write-journal';

/** Rows per statement when a buffer is written: small enough that no chunk stalls the event loop. */
export const DEFAULT_FLUSH_CHUNK = 500;

/** What a buffer tells the process about its flushes: failures (logged once per streak) and recovery. */
export interface FlushObserver {
  failed(buffer: string, error: unknown): void;
  recovered(buffer: string, failures: number): void;
}

export interface WriteBehindOptions {
  /** Names the buffer in logs and metrics (`usage`, `clicks`). */
  name?: string;
  observer?: FlushObserver;
  /**
   * Hands buffered entries to a journal in Redis (keys under `base`) every `tickMs`, one pipeline
   * per tick, and drains Redis into PostgreSQL every flush interval; see WriteJournal. Without it
   * the buffer flushes straight to PostgreSQL, and a crash loses what the last interval gathered.
   */
  journal?: { redis: Redis; base: string; tickMs: number };
}

/**
 * Buffers writes in memory and flushes them on a timer and at shutdown, so a hot path
 * (authentication, a redirect) never waits on a database write. A flush writes in chunks of
 * `chunkSize` entries, one statement each (its own short transaction), and yields to the event
 * loop between them, so 10k buffered keys neither block requests nor hold one long transaction.
 * A chunk that fails goes back to the buffer with every chunk not yet written, to be retried on
 * the next flush: nothing is dropped while the database is away.
 *
 * With a journal (Redis), entries leave memory every tick for Redis, and the flush interval drains
 * Redis into PostgreSQL; entries go straight to PostgreSQL only while Redis is unreachable.
 */
/** The journal (Redis) could not be drained; what was buffered in memory was still written. */
export class JournalDrainError extends Error {
  constructor(override readonly cause: unknown) {
    super(`The write-behind journal could not be drained: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

export abstract class WriteBehindBuffer<TItem> {
  private timer?: NodeJS.Timeout;
  private tickTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private ticking?: Promise<void>;
  private journal?: WriteJournal<TItem>;
  private name = 'write-behind';
  private observer?: FlushObserver;
  /** Entries refused because the buffer was full (the database away for long); never silent. */
  dropped = 0;
  private reportedDrops = 0;
  /** Flushes that failed (timer, shutdown or a caller's), for the metrics. */
  flushFailures = 0;
  /** Consecutive failed flushes; the first is logged, and the first success after them. */
  private failureStreak = 0;

  /**
   * @param capacity  entries held at most; beyond it new entries are counted in `dropped` and
   *                  logged, so an outage cannot exhaust memory
   * @param onDrop    told how many entries were dropped since it was last told
   * @param chunkSize entries written per statement
   */
  constructor(
    protected readonly capacity = 100_000,
    private readonly onDrop: (dropped: number, total: number) => void = () => undefined,
    protected readonly chunkSize = DEFAULT_FLUSH_CHUNK,
  ) {}

  /** Call when an entry could not be buffered. */
  protected overflow(n = 1): void {
    this.dropped += n;
  }

  /** Removes and returns everything buffered, or null when there is nothing. */
  protected abstract take(): TItem[] | null;
  /** Puts entries that could not be written back in front of newer ones. */
  protected abstract restore(items: TItem[]): void;
  /** Writes one chunk in one statement, on `db` (a transaction's manager) or the buffer's data source. */
  protected abstract write(chunk: TItem[], db?: DataSource | EntityManager): Promise<void>;
  /** Entries held in memory (the unit of `capacity`). */
  abstract get bufferedEntries(): number;
  /** This buffer's journal in Redis, its keys under `base`. */
  abstract journalIn(redis: Redis, base: string): WriteJournal<TItem>;

  /** The statement for one chunk, for a journal's drain (inside its transaction). */
  writeChunk(chunk: TItem[], db: EntityManager): Promise<void> {
    return this.write(chunk, db);
  }

  start(intervalMs: number, options: WriteBehindOptions = {}): void {
    this.name = options.name ?? this.name;
    this.observer = options.observer;
    this.journal = options.journal && this.journalIn(options.journal.redis, options.journal.base);
    this.timer = setInterval(() => void this.flush().catch(() => undefined), intervalMs);
    this.timer.unref();
    if (options.journal) {
      this.tickTimer = setInterval(() => void this.tick().catch(() => undefined), options.journal.tickMs);
      this.tickTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.tickTimer);
    // Redis failing as the process stops leaves the journal's content there for the next drain
    // (any node's, or this one's next start); what was still in memory has gone to PostgreSQL.
    await this.flush().catch((error: unknown) => {
      if (!(error instanceof JournalDrainError)) throw error;
    });
    // An append whose outcome Redis never told: counting it again could count it twice.
    const unconfirmed = this.journal?.abandonUnconfirmed() ?? 0;
    if (unconfirmed > 0) {
      this.overflow(unconfirmed);
      this.reportDrops();
    }
  }

  /** Hands what is buffered to the journal (Redis), in one round trip; no-op without one. */
  async tick(): Promise<void> {
    if (!this.journal) return;
    while (this.ticking) await this.ticking;
    this.ticking = this.appendToJournal().finally(() => (this.ticking = undefined));
    await this.ticking;
  }

  private async appendToJournal(): Promise<void> {
    const journal = this.journal!;
    const batch = this.take();
    const outcome = await journal.append(batch ?? []);
    if (outcome.unsent && batch) this.restore(batch);
    if (outcome.dropped > 0) this.overflow(outcome.dropped);
  }

  /**
   * Writes everything buffered so far: straight to PostgreSQL, or with a journal, to Redis and then
   * Redis's content to PostgreSQL (and straight to PostgreSQL whatever Redis could not take).
   * Concurrent calls wait for the flush under way. A failure is logged once per streak and counted.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.flushOnce().finally(() => (this.flushing = undefined));
    try {
      await this.flushing;
    } catch (error) {
      this.flushFailures++;
      if (this.failureStreak++ === 0) this.observer?.failed(this.name, error);
      throw error;
    }
    if (this.failureStreak > 0) this.observer?.recovered(this.name, this.failureStreak);
    this.failureStreak = 0;
  }

  private async flushOnce(): Promise<void> {
    let journalError: unknown = null;
    if (this.journal) {
      await this.tick();
      await this.journal.drain().catch((error: unknown) => (journalError = error));
    }
    this.reportDrops();
    // Without a journal, or what Redis could not take: straight to PostgreSQL.
    const batch = this.take();
    if (batch !== null) await this.writeInChunks(batch);
    if (journalError) throw new JournalDrainError(journalError);
  }

  private reportDrops(): void {
    if (this.dropped > this.reportedDrops) {
      this.onDrop(this.dropped - this.reportedDrops, this.dropped);
      this.reportedDrops = this.dropped;
    }
  }

  private async writeInChunks(batch: TItem[]): Promise<void> {
    for (let start = 0; start < batch.length; start += this.chunkSize) {
      // Between chunks, requests that arrived meanwhile run before the next chunk is built.
      if (start > 0) await nextTurn();
      try {
        await this.write(batch.slice(start, start + this.chunkSize));
      } catch (error) {
        this.restore(batch.slice(start));
        throw error;
      }
    }
  }
}
