import { Client } from 'pg';
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

/**
 * Keeps one dedicated connection LISTENing on the channel. The cache is usable only while this
 * connection is up: on any error it is disabled (every request goes to the database) and, once
 * reconnected, cleared before it is used again — whatever was missed while down cannot linger.
 */
export class InvalidationListener {
  private client?: Client;
  private stopped = false;
  private retryMs = 250;
  private heartbeat?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;

  constructor(
    private readonly connectionString: string,
    private readonly cache: VerificationCache,
    private readonly log: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void },
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    this.cache.disable();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.connectionString, keepAlive: true, application_name: 'keygate-invalidation', connectionTimeoutMillis: 5_000 });
    client.on('error', (error) => this.down(client, error));
    client.on('end', () => this.down(client, new Error('connection ended')));
    client.on('notification', (message) => {
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
    } catch (error) {
      this.down(client, error as Error);
      return;
    }
    this.client = client;
    this.retryMs = 250;
    this.cache.enable();
    // A silent network drop may never raise an error; a cheap query every few seconds notices.
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => this.down(client, error));
    }, 5_000);
    this.heartbeat.unref();
  }

  private down(client: Client, error: Error): void {
    if (this.client && this.client !== client) return;
    const wasUsable = this.cache.usable;
    this.cache.disable();
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    if (wasUsable) this.log.warn({ err: error.message }, 'invalidation listener lost; key verification bypasses the cache until it is back');
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
