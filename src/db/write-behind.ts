import { setImmediate as nextTurn } from 'node:timers/promises';

/** Rows per statement when a buffer is written: small enough that no chunk stalls the event loop. */
export const DEFAULT_FLUSH_CHUNK = 500;

/**
 * Buffers writes in memory and flushes them on a timer and at shutdown, so a hot path
 * (authentication, a redirect) never waits on a database write. A flush writes in chunks of
 * `chunkSize` entries, one statement each (its own short transaction), and yields to the event
 * loop between them, so 10k buffered keys neither block requests nor hold one long transaction.
 * A chunk that fails goes back to the buffer with every chunk not yet written, to be retried on
 * the next flush: nothing is dropped while the database is away, and a written chunk is never
 * written twice.
 */
export abstract class WriteBehindBuffer<TItem> {
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Entries refused because the buffer was full (the database away for long); never silent. */
  dropped = 0;
  private reportedDrops = 0;

  /**
   * @param capacity  entries held at most; beyond it new entries are counted in `dropped` and
   *                  logged, so an outage cannot exhaust memory
   * @param onDrop    told how many entries were dropped since it was last told
   * @param chunkSize entries written per statement
   */
  constructor(
    protected readonly capacity = 100_000,
    private readonly onDrop: (dropped: number, total: number) => void = () => undefined,
    private readonly chunkSize = DEFAULT_FLUSH_CHUNK,
  ) {}

  /** Call when an entry could not be buffered. */
  protected overflow(): void {
    this.dropped++;
  }

  /** Removes and returns everything buffered, or null when there is nothing. */
  protected abstract take(): TItem[] | null;
  /** Puts entries that could not be written back in front of newer ones. */
  protected abstract restore(items: TItem[]): void;
  /** Writes one chunk in one statement. */
  protected abstract write(chunk: TItem[]): Promise<void>;

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes everything buffered so far. Concurrent calls wait for the flush under way. */
  async flush(): Promise<void> {
    if (this.dropped > this.reportedDrops) {
      this.onDrop(this.dropped - this.reportedDrops, this.dropped);
      this.reportedDrops = this.dropped;
    }
    while (this.flushing) await this.flushing;
    const batch = this.take();
    if (batch === null) return;
    this.flushing = this.writeInChunks(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
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
