/**
 * Buffers writes in memory and flushes them in one statement on a timer and at shutdown, so a
 * hot path (authentication, a redirect) never waits on a database write. A failed flush puts
 * its batch back to be retried on the next one: nothing is dropped while the database is away.
 */
export abstract class WriteBehindBuffer<TBatch> {
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Entries refused because the buffer was full (the database away for long); never silent. */
  dropped = 0;
  private reportedDrops = 0;

  /**
   * @param capacity  entries held at most; beyond it new entries are counted in `dropped` and
   *                  logged, so an outage cannot exhaust memory
   * @param onDrop    told how many entries were dropped since it was last told
   */
  constructor(
    protected readonly capacity = 100_000,
    private readonly onDrop: (dropped: number, total: number) => void = () => undefined,
  ) {}

  /** Call when an entry could not be buffered. */
  protected overflow(): void {
    this.dropped++;
  }

  /** Removes and returns everything buffered, or null when there is nothing. */
  protected abstract take(): TBatch | null;
  /** Puts a batch that could not be written back in front of newer entries. */
  protected abstract restore(batch: TBatch): void;
  protected abstract write(batch: TBatch): Promise<void>;

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
    this.flushing = this.write(batch)
      .catch((error) => {
        this.restore(batch);
        throw error;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }
}
