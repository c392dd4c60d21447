import { QueryRunnerAlreadyReleasedError, type DataSource, type QueryRunner, type ReplicationMode } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { AppError, ErrorCode, ServiceUnavailableError } from '../kernel/errors';

/**
 * What one GraphQL request may use of the database: a number of SQL statements, and a number of
 * the pool's connections at once (also per organization), so a heavy request waits for its own
 * connections instead of taking everybody's.
 *
 * The budget travels explicitly, not in an AsyncLocalStorage: on Node 20 any AsyncLocalStorage
 * turns on promise hooks for every promise of the process (8–50 µs per request in the bench's
 * profile). Each request's caller carries a view of the data source (`Caller.db`) whose query
 * runners count their statements and take their connections from the request's budget; the
 * services and loaders of a request use that view. Work outside a request (usage flushes,
 * webhook jobs, redirects, finding the principal) uses the app's data source: only the pool's own
 * bound applies. test/faults/budget-coverage.test.ts proves no request reaches the pool another way.
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
    private readonly waitMs: number,
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
  async acquire(): Promise<() => void> {
    const timeoutMs = this.waitMs;
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

/**
 * A query runner of one request: each statement counts against the request's budget before it
 * is sent, and its connection is taken only once the request (and its organization) has a slot
 * free, which the runner gives back when it is released.
 */
class BudgetedQueryRunner extends PostgresQueryRunner {
  private slots: (() => void) | undefined;
  private connecting: Promise<unknown> | undefined;

  constructor(
    driver: PostgresDriver,
    mode: ReplicationMode,
    readonly budget: RequestBudget,
  ) {
    super(driver, mode);
  }

  override connect(): ReturnType<PostgresQueryRunner['connect']> {
    if (this.databaseConnection) return Promise.resolve(this.databaseConnection);
    return (this.connecting ??= this.connectWithinBudget());
  }

  private async connectWithinBudget(): Promise<unknown> {
    this.slots = await this.budget.acquire();
    if (this.isReleased) {
      // Released while it waited for its slot: a connection taken now would never be given back.
      this.freeSlots();
      throw new QueryRunnerAlreadyReleasedError();
    }
    let connection: unknown;
    try {
      connection = await super.connect();
    } catch (error) {
      this.freeSlots();
      throw error;
    }
    if (this.isReleased) {
      // Released while it waited for the pool: TypeORM attached the client after its release ran.
      this.releaseCallback?.(undefined);
      this.releaseCallback = undefined;
      const at = this.driver.connectedQueryRunners.indexOf(this);
      if (at >= 0) this.driver.connectedQueryRunners.splice(at, 1);
      throw new QueryRunnerAlreadyReleasedError();
    }
    return connection;
  }

  override release(): Promise<void> {
    const released = super.release();
    this.freeSlots();
    return released;
  }

  override query(query: string, parameters?: unknown[], useStructuredResult?: boolean): ReturnType<PostgresQueryRunner['query']> {
    try {
      this.budget.countStatement(query);
    } catch (error) {
      return Promise.reject(error);
    }
    return super.query(query, parameters, useStructuredResult);
  }

  private freeSlots(): void {
    const free = this.slots;
    this.slots = undefined;
    free?.();
  }
}

/** The budget a query runner counts against: none for one outside a request. */
export function budgetOf(runner: QueryRunner | undefined): RequestBudget | undefined {
  return runner instanceof BudgetedQueryRunner ? runner.budget : undefined;
}

/** A request's budget with the view of the data source its work runs on. */
export interface OpenBudget {
  readonly budget: RequestBudget;
  /** The app's data source, except that every query runner it makes is one of the request's (BudgetedQueryRunner). */
  readonly db: DataSource;
}

/**
 * Opens each GraphQL request's budget; one per app, holding the per-organization gates. The view
 * of the data source is an object whose prototype is the app's data source: TypeORM's data
 * source and entity manager make every query runner through `createQueryRunner`, so overriding
 * that one method (and the `manager` built on it) routes repositories, query builders, `query()`
 * and transactions alike through the request's budget.
 */
export class RequestBudgets {
  private readonly organizations = new Map<string, Gate>();
  private readonly viewPrototype: DataSource;
  /** Sees each request's budget once it has been answered (tests and diagnostics). */
  onSettled?: (budget: RequestBudget) => void;

  constructor(
    readonly limits: RequestBudgetLimits,
    dataSource: DataSource,
    private readonly waitMs: number,
  ) {
    type View = DataSource & { budget: RequestBudget; ownManager?: DataSource['manager'] };
    this.viewPrototype = Object.create(dataSource, {
      manager: {
        get(this: View) {
          return (this.ownManager ??= this.createEntityManager());
        },
      },
      createQueryRunner: {
        value(this: View, mode: ReplicationMode = 'master') {
          const runner = new BudgetedQueryRunner(this.driver as PostgresDriver, mode, this.budget);
          // As DataSource.createQueryRunner does: the runner's own manager, on this view.
          Object.assign(runner, { manager: this.createEntityManager(runner) });
          return runner;
        },
      },
    }) as DataSource;
  }

  open(): OpenBudget {
    const budget = new RequestBudget(this.limits, this.organizations, this.waitMs);
    const db = Object.create(this.viewPrototype) as DataSource & { budget: RequestBudget };
    db.budget = budget;
    return { budget, db };
  }

  settle(budget: RequestBudget): void {
    this.onSettled?.(budget);
  }
}
