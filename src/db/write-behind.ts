/**
 * Buffers writes in memory and flushes them in one statement on a timer and at shutdown, so a
 * hot path (authentication, a redirect) never waits on a database write. A failed flush puts
 * its batch back to be retried on the next one: nothing is dropped while the database is away.
 */
export abstract class WriteBehindBuffer<TBatch> {
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

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
