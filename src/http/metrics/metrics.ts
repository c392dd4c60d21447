import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { VerificationCache } from '../../auth/verification-cache';
import type { ScrapeQueries } from './scrape-queries';

/** What a scrape reads of a write-behind buffer (usage, clicks). */
export interface BufferCounts {
  readonly bufferedEntries: number;
  readonly flushFailures: number;
  readonly dropped: number;
}

/** What a scrape reads of the pg pool (pg's Pool counts). */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

export interface MetricSources {
  /** Null when VERIFICATION_CACHE_ENABLED=false: its metrics are then absent. */
  cache: VerificationCache | null;
  pool: () => PoolCounts | undefined;
  /** DB_POOL_SIZE, when the pool does not say its own size. */
  poolMax: number;
  /** Read-only, bounded SQL run at scrape time (webhook queue depth and recent deliveries). */
  queries: ScrapeQueries;
}

/** Request latency buckets, in seconds: keygate answers most requests in a few milliseconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** NOTIFY delivery is sub-millisecond on one host; seconds mean the cache is about to be bypassed. */
const ECHO_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * keygate's metrics, in a registry of their own (not prom-client's global one), described in
 * docs/metrics.md. Requests are counted as they complete; everything else is read when Prometheus
 * scrapes (`collect`), so it costs the request path nothing. Every label value comes from a
 * bounded set chosen here, never from client text.
 */
export class KeygateMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly duration: Histogram<'operation'>;
  private readonly echo: Histogram;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'keygate_graphql_requests_total',
      help: 'GraphQL requests, by operation (its root field, or introspection, multiple, none) and outcome',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'keygate_graphql_request_duration_seconds',
      help: 'Time from the request arriving to its response being sent, by operation',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.echo = new Histogram({
      name: 'keygate_invalidation_echo_seconds',
      help: 'NOTIFY sent to heard on the invalidation LISTEN connection (its heartbeat): the delay before a revocation applies here',
      buckets: ECHO_BUCKETS,
      registers,
    });
    registerCacheMetrics(sources.cache, registers);
    registerPoolMetrics(sources, registers);
    sources.queries.register(registers);
  }

  /** One completed GraphQL request. */
  graphqlRequest(operation: string, outcome: string, seconds: number): void {
    this.requests.inc({ operation, outcome });
    this.duration.observe({ operation }, seconds);
  }

  /** Reads the write-behind buffers at scrape time: what waits in memory, failed flushes, drops. */
  watchBuffers(buffers: Record<string, BufferCounts>): void {
    const registers = [this.registry];
    const entries = Object.entries(buffers);
    new Gauge({
      name: 'keygate_write_behind_buffered_entries',
      help: 'Usage key-days and clicks held in this process memory, not yet in Redis or PostgreSQL, by buffer',
      labelNames: ['buffer'],
      registers,
      collect() {
        for (const [buffer, b] of entries) this.set({ buffer }, b.bufferedEntries);
      },
    });
    const copied = (name: string, help: string, read: (b: BufferCounts) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['buffer'],
        registers,
        collect() {
          this.reset();
          for (const [buffer, b] of entries) this.inc({ buffer }, read(b));
        },
      });
    copied(
      'keygate_write_behind_flush_failures_total',
      'Flushes of a buffer that failed (retried on the next interval), by buffer',
      (b) => b.flushFailures,
    );
    copied(
      'keygate_write_behind_dropped_total',
      'Entries dropped because a buffer or the Redis journal was full, by buffer',
      (b) => b.dropped,
    );
  }

  /** One heartbeat echo of the invalidation listener. */
  invalidationEcho(seconds: number): void {
    this.echo.observe(seconds);
  }
}

/** Counters the cache keeps itself, copied at scrape time. */
function registerCacheMetrics(cache: VerificationCache | null, registers: Registry[]): void {
  if (!cache) return;
  const copied = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  copied('keygate_verification_cache_hits_total', 'Key verifications answered from the in-process cache', () => cache.hits);
  copied(
    'keygate_verification_cache_misses_total',
    'Key verifications that asked PostgreSQL (cache usable, entry absent)',
    () => cache.misses,
  );
  new Gauge({
    name: 'keygate_verification_cache_entries',
    help: 'Entries in the verification cache (known and unknown secrets)',
    registers,
    collect() {
      this.set(cache.size);
    },
  });
  new Gauge({
    name: 'keygate_verification_cache_usable',
    help: '1 while the invalidation listener hears its heartbeat and the cache answers; 0 while every request asks PostgreSQL',
    registers,
    collect() {
      this.set(cache.usable ? 1 : 0);
    },
  });
}

function registerPoolMetrics(sources: MetricSources, registers: Registry[]): void {
  new Gauge({
    name: 'keygate_db_pool_connections',
    help: 'Connections of the request pool, by state (idle, busy) and callers waiting for one (waiting)',
    labelNames: ['state'],
    registers,
    collect() {
      const pool = sources.pool();
      if (!pool) return;
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Gauge({
    name: 'keygate_db_pool_max',
    help: 'Connections the request pool may open (DB_POOL_SIZE)',
    registers,
    collect() {
      this.set(sources.pool()?.options?.max ?? sources.poolMax);
    },
  });
}
