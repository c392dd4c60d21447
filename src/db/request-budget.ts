import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { EventSubscriber, type BeforeQueryEvent, type EntitySubscriberInterface } from 'typeorm';
import { AppError, ErrorCode, ServiceUnavailableError } from '../kernel/errors';

/**
 * What one GraphQL request may use of the database: a number of SQL statements, and a number of
 * the pool's connections at once (also per organization), so a heavy request waits for its own
 * connections instead of taking everybody's. The budget of the request being served travels in
 * an AsyncLocalStorage; the pool and a TypeORM subscriber consult it. Work outside a request
 * (usage flushes, webhook jobs, redirects) has no budget and only the pool's own bound.
 */
export interface RequestBudgetLimits {
  statementsPerRequest: number;
  connectionsPerRequest: number;
  connectionsPerOrganization: number;
}

export class StatementBudgetExceededError extends AppError {
  constructor(max: number) {
    super(ErrorCode.BAD_USER_INPUT, `This request needs more than ${max} SQL statements, its budget; ask for less in one request.`, {
      limit: 'statements',
      max,
    });
  }
}

/** No connection became free in time: the pool is exhausted (by this request, its organization or everyone). */
export class DatabaseBusyError extends ServiceUnavailableError {
  constructor() {
    super('All database connections are busy; try again shortly.');
    this.extensions.reason = 'DATABASE_BUSY';
  }
}

/** A counting semaphore whose waiters give up after a deadline. */
class Gate {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  acquire(timeoutMs: number): Promise<void> {
    if (this.used < this.capacity) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        this.used++;
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new DatabaseBusyError());
      }, timeoutMs);
      this.waiting.push(grant);
    });
  }

  release(): void {
    this.used--;
    this.waiting.shift()?.();
  }

  get idle(): boolean {
    return this.used === 0 && this.waiting.length === 0;
  }
}

/** Statements that end a transaction always run: refusing one would return a connection mid-transaction. */
const TRANSACTION_END = /^\s*(COMMIT|ROLLBACK|RELEASE\s+SAVEPOINT|END)\b/i;

export class RequestBudget {
  /** SQL statements run so far, transaction control included. */
  statements = 0;
  /** Connections held now, and at most at any moment. */
  connections = 0;
  peakConnections = 0;
  private organizationId: string | null = null;
  private readonly own: Gate;

  constructor(
    readonly limits: RequestBudgetLimits,
    private readonly organizations: Map<string, Gate>,
    /**
     * What the layers above know of the request (http/request-scope.ts: its id, logger, what
     * metrics count), carried by this one AsyncLocalStorage: a second one would copy its store
     * onto every promise of every request too (5–10% of a `viewer { kind }` request in the bench).
     */
    readonly request?: object,
  ) {
    this.own = new Gate(limits.connectionsPerRequest);
  }

  /** Known once the request is authenticated; connections taken before then count only against the request. */
  forOrganization(orgId: string): void {
    this.organizationId = orgId;
  }

  countStatement(sql: string): void {
    this.statements++;
    if (this.statements > this.limits.statementsPerRequest && !TRANSACTION_END.test(sql)) {
      throw new StatementBudgetExceededError(this.limits.statementsPerRequest);
    }
  }

  /** Waits for a connection slot of this request and of its organization; returns their release. */
  async acquire(timeoutMs: number): Promise<() => void> {
    await this.own.acquire(timeoutMs);
    const orgId = this.organizationId;
    let org: Gate | undefined;
    if (orgId) {
      org = this.organizations.get(orgId);
      if (!org) this.organizations.set(orgId, (org = new Gate(this.limits.connectionsPerOrganization)));
      try {
        await org.acquire(timeoutMs);
      } catch (error) {
        this.own.release();
        throw error;
      }
    }
    this.connections++;
    this.peakConnections = Math.max(this.peakConnections, this.connections);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.connections--;
      this.own.release();
      if (org) {
        org.release();
        if (org.idle && this.organizations.get(orgId!) === org) this.organizations.delete(orgId!);
      }
    };
  }
}

const scope = new AsyncLocalStorage<RequestBudget>();

/** The budget of the GraphQL request being served, if any. */
export function currentRequestBudget(): RequestBudget | undefined {
  return scope.getStore();
}

/** Runs each GraphQL request inside its own budget; one per app, holding the per-organization gates. */
export class RequestBudgets {
  private readonly organizations = new Map<string, Gate>();
  /** Sees each request's budget once it has been answered (tests and diagnostics). */
  onSettled?: (budget: RequestBudget) => void;

  constructor(readonly limits: RequestBudgetLimits) {}

  run<T>(fn: () => Promise<T>, request?: object): Promise<T> {
    const budget = new RequestBudget(this.limits, this.organizations, request);
    return scope.run(budget, fn).finally(() => this.onSettled?.(budget));
  }
}

/** Counts every statement TypeORM sends against the current request's budget (registered on the data source). */
@EventSubscriber()
export class StatementBudgetSubscriber implements EntitySubscriberInterface {
  beforeQuery(event: BeforeQueryEvent): void {
    currentRequestBudget()?.countStatement(event.query);
  }
}

type Client = pg.PoolClient & { readyForQuery?: boolean; connection?: { stream?: { destroy(): void } } };

/**
 * The pg pool keygate's data source uses. Each checkout first takes a slot of the current
 * request's budget (when there is one), and a wait for a free connection that times out is a
 * DatabaseBusyError (503 "busy"), not a connection failure ("unreachable"). A client released
 * while a query it gave up on (the client-side query timeout) is still unanswered is destroyed
 * rather than reused: the next query would queue behind the lost one.
 */
export class BudgetedPool extends pg.Pool {
  private readonly waitMs: number;

  constructor(config?: pg.PoolConfig) {
    super(config);
    this.waitMs = config?.connectionTimeoutMillis || 5_000;
  }

  // pg's callback form is what TypeORM uses; the promise form is kept for everything else.
  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void,
  ): void;
  override connect(
    callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void,
  ): Promise<pg.PoolClient> | void {
    const checkout = this.checkout();
    if (!callback) return checkout;
    checkout.then(
      (client) => callback(undefined, client, client.release),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async checkout(): Promise<pg.PoolClient> {
    const budget = currentRequestBudget();
    const releaseSlots = budget ? await budget.acquire(this.waitMs) : () => undefined;
    let client: Client;
    try {
      client = (await super.connect()) as Client;
    } catch (error) {
      releaseSlots();
      // pg-pool's message when no pooled connection became free in time.
      if ((error as Error).message === 'timeout exceeded when trying to connect') throw new DatabaseBusyError();
      throw error;
    }
    const release = client.release.bind(client);
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) return;
      released = true;
      releaseSlots();
      // Not ready for a query after its user is done: an answer is still owed (a client-side timeout).
      if (!err && client.readyForQuery === false) {
        client.connection?.stream?.destroy();
        return release(new Error('a query was still unanswered'));
      }
      return release(err);
    };
    return client;
  }
}
