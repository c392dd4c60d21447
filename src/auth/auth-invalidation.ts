import { randomBytes } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';
import type { EntityManager, EntitySubscriberInterface, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { AuthInvalidation, VerificationCache } from './verification-cache';

/** The one PostgreSQL channel on which every instance hears what to evict. */
export const AUTH_CHANNEL = 'keygate_auth';

interface RunnerData {
  authInvalidations?: AuthInvalidation[];
}

/**
 * Publishes changes that affect authentication. `within()` runs `pg_notify` inside the change's
 * transaction — PostgreSQL delivers it to every listening instance only if and when that
 * transaction commits — and remembers the change so this instance evicts it the moment the
 * transaction commits, before the mutation's response is sent (as a TypeORM subscriber).
 */
export class AuthInvalidator implements EntitySubscriberInterface {
  constructor(private readonly cache: VerificationCache | null) {}

  async within(m: EntityManager, change: AuthInvalidation): Promise<void> {
    await m.query('SELECT pg_notify($1, $2)', [AUTH_CHANNEL, JSON.stringify(change)]);
    const data = m.queryRunner?.data as RunnerData | undefined;
    if (data) (data.authInvalidations ??= []).push(change);
    else this.cache?.apply(change);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const data = event.queryRunner.data as RunnerData;
    for (const change of data.authInvalidations ?? []) this.cache?.apply(change);
    data.authInvalidations = [];
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    (event.queryRunner.data as RunnerData).authInvalidations = [];
  }
}

export interface InvalidationListenerOptions {
  /** How often the listener sends itself a NOTIFY. */
  heartbeatMs: number;
  /** How late that echo may be before the cache is bypassed and the connection replaced. */
  echoTimeoutMs: number;
  /** Connection bounds (connect timeout, keepalive, statement timeouts). */
  client: ClientConfig;
  /** Hears each heartbeat's round trip, NOTIFY sent to echo heard, in seconds (metrics). */
  onEcho?: (seconds: number) => void;
}

/**
 * Keeps one dedicated connection LISTENing on the channel. The cache is usable only while this
 * connection is up and provably delivering: every `heartbeatMs` it NOTIFYs a channel of its own
 * and must hear the echo within `echoTimeoutMs`. A partition that keeps the socket open raises no
 * error, but the echo stops, so the cache is bypassed (every request asks PostgreSQL) from the
 * moment the echo is overdue, and the connection is replaced. Once reconnected the cache is
 * cleared before it is used again: whatever was missed while down cannot linger.
 */
export class InvalidationListener {
  private client?: Client;
  private stopped = false;
  private retryMs = 250;
  private heartbeat?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;
  /** A channel only this listener listens on, for its heartbeat. */
  private readonly echoChannel = `keygate_echo_${randomBytes(8).toString('hex')}`;
  private lastEchoAt = 0;
  /** When the heartbeat's NOTIFY was sent (performance.now()), until its echo is heard. */
  private echoSentAt: number | undefined;
  /** The heartbeat's NOTIFY still awaiting its answer: never two at once on one connection. */
  private notifying = false;

  constructor(
    private readonly connectionString: string,
    private readonly cache: VerificationCache,
    private readonly log: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void },
    private readonly options: InvalidationListenerOptions,
  ) {
    cache.isLive = () => this.client !== undefined && Date.now() - this.lastEchoAt <= this.options.echoTimeoutMs;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    this.cache.disable();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      ...this.options.client,
      connectionString: this.connectionString,
      application_name: 'keygate-invalidation',
    });
    client.on('error', (error) => this.down(client, error));
    client.on('end', () => this.down(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.echoChannel) {
        this.lastEchoAt = Date.now();
        if (this.echoSentAt !== undefined) this.options.onEcho?.((performance.now() - this.echoSentAt) / 1000);
        this.echoSentAt = undefined;
        return;
      }
      if (message.channel !== AUTH_CHANNEL || !message.payload) return;
      try {
        this.cache.apply(JSON.parse(message.payload) as AuthInvalidation);
      } catch {
        this.cache.clear();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${AUTH_CHANNEL}`);
      await client.query(`LISTEN ${this.echoChannel}`);
    } catch (error) {
      this.down(client, error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = 250;
    this.notifying = false;
    this.echoSentAt = undefined;
    this.lastEchoAt = Date.now();
    this.cache.enable();
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastEchoAt > this.options.echoTimeoutMs) {
        this.down(client, new Error(`no heartbeat echo for ${this.options.echoTimeoutMs} ms`));
        return;
      }
      if (this.notifying) return;
      this.notifying = true;
      this.echoSentAt = performance.now();
      client
        .query(`NOTIFY ${this.echoChannel}`)
        .catch((error: Error) => this.down(client, error))
        .finally(() => (this.notifying = false));
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private down(client: Client, error: Error): void {
    if (this.client && this.client !== client) return;
    const wasUsable = this.cache.usable || this.client === client;
    this.cache.disable();
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    // A discarded client's late errors must not start a second reconnection.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    // end() waits for the server's goodbye, which never comes through a partition: cut the socket.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (wasUsable)
      this.log.warn({ err: error.message }, 'invalidation listener lost; key verification bypasses the cache until it is back');
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => {
      void this.connect().then(() => {
        if (this.cache.usable) this.log.info({}, 'invalidation listener back; verification cache re-enabled (empty)');
      });
    }, this.retryMs);
    this.reconnect.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }
}
