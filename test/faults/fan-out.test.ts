import type { PoolClient } from 'pg';
import type { RequestBudget } from '../../src/db/request-budget';
import { ApiKeyTotalDocument, OrganizationNameAndKeyCountDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: the heavy fan-out and the 30-search request are generated, their size being the test input; the rest come from codegen.

/**
 * One tenant's heavy requests cannot starve the others: each GraphQL request runs within a
 * budget of SQL statements and of pool connections (and its organization within a share of the
 * pool), so the heavy tenant waits on itself. The pool here has 5 connections.
 */
describe('a heavy fan-out stays within its budget while another organization is served', () => {
  let t: TestApp;
  let other: { rootKey: string };
  const budgets = new Map<string, RequestBudget>();
  beforeAll(async () => {
    t = await TestApp.create({
      env: {
        DB_CONNECTIONS_PER_REQUEST: '2',
        DB_CONNECTIONS_PER_ORGANIZATION: '3',
        DB_STATEMENTS_PER_REQUEST: '25',
        // A field waits for one of its request's connections at most this long (DATABASE_BUSY
        // after). On a loaded 2-core machine the heavy request's own statements can hold both for
        // longer than the 5 s default; this suite is about budgets, so it waits instead.
        DB_CONNECT_TIMEOUT_MS: '60000',
      },
    });
    other = await t.createOtherOrganization('Bystander');
    const domain = await t.app.services.domains.create(t.owner.caller, 'fan.acme.test');
    const keyCaller = { ...t.owner.caller, principal: await t.app.authenticator.authenticateKey(t.rootKey) };
    for (let i = 0; i < 100; i++) {
      await t.app.services.shortLinks.create(i % 2 ? t.owner.caller : keyCaller, {
        url: `https://example.com/${i}`,
        domainId: i % 4 === 0 ? domain.id : null,
      });
    }
    const links: { id: string }[] = await t.dataSource.query('SELECT id FROM short_links WHERE org_id = $1', [t.org.id]);
    for (const [i, { id }] of links.entries()) {
      await t.dataSource.query(
        `INSERT INTO link_clicks (link_id, org_id, clicked_at, referrer_host, user_agent_family, country)
         SELECT $1, $2, now() - (n || ' hours')::interval, 'ref.example', 'Chrome', 'DE' FROM generate_series(1, $3::int) n`,
        [id, t.org.id, 1 + (i % 5)],
      );
    }
    // Tell each request's budget apart by the operation's name.
    t.app.requestBudgets.onSettled = (budget) => {
      const name = currentOperation;
      if (name) budgets.set(name, budget);
    };
  });
  afterAll(() => t.close());

  let currentOperation: string | undefined;
  const HEAVY = (name: string) => `query ${name} {
    ${[0, 1, 2]
      .map(
        (i) => `a${i}: shortLinks(first: 100) { nodes { slug domain { hostname } createdBy { name }
                  stats(interval: DAY, from: "${new Date(Date.now() - 2 * 86_400_000).toISOString()}") { totalClicks series { bucket clicks } } } }`,
      )
      .join('\n')}
  }`;

  it('answers in full, within 2 connections and its statement budget; the other organization is answered meanwhile', async () => {
    await t.gql(ViewerKindDocument); // both keys' verifications are cached from here on
    await t.gql(ViewerKindDocument, {}, { key: other.rootKey });

    // One measured heavy request alone.
    currentOperation = 'Measured';
    const measured = await t.gql(HEAVY('Measured'));
    currentOperation = undefined;
    const data = expectOk(measured);
    expect(Object.values(data).every((c: any) => c.nodes.length === 100)).toBe(true);
    const total = (data.a0.nodes as any[]).reduce((sum, n) => sum + n.stats.totalClicks, 0);
    expect(total).toBeGreaterThan(0);
    const budget = budgets.get('Measured')!;
    console.log(
      `heavy fan-out (3 × 100 links with stats, domain, creator): ${budget.statements} SQL statements, at most ${budget.peakConnections} connections at once`,
    );
    expect(budget.peakConnections).toBeLessThanOrEqual(2);
    expect(budget.statements).toBeLessThanOrEqual(25);
    expect(budget.connections).toBe(0);

    // Six heavy requests at once from one organization; the other organization keeps being served.
    let heavyDone = 0;
    const heavy = Promise.all(
      Array.from({ length: 6 }, () =>
        t.gql(HEAVY('Burst')).then((res) => {
          heavyDone++;
          return res;
        }),
      ),
    );
    const bystander: number[] = [];
    while (heavyDone < 6) {
      const res = await t.gql(OrganizationNameAndKeyCountDocument, { first: 5 }, { key: other.rootKey });
      bystander.push(res.status);
      expect(res.body.errors).toBeUndefined();
    }
    for (const res of await heavy) expectOk(res);
    expect(bystander.length).toBeGreaterThan(0);
    expect(bystander.every((s) => s === 200)).toBe(true);
  });

  it('a request that needs more than its statement budget is refused, naming the limit', async () => {
    // 30 distinct searches: 30 statements. shortLinks is non-null, so the first refusal nulls the response.
    const aliases = Array.from(
      { length: 30 },
      (_, i) => `s${i}: shortLinks(first: 1, filter: { search: "nothing-${i}" }) { nodes { id } }`,
    ).join(' ');
    const res = await t.gql(`{ ${aliases} }`);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual([
      {
        message: 'This request needs more than 25 SQL statements, its budget; ask for less in one request.',
        locations: expect.any(Array),
        path: [expect.stringMatching(/^s\d+$/)],
        extensions: { code: 'BAD_USER_INPUT', limit: 'statements', max: 25 },
      },
    ]);
    // Within the budget, the same request shape is answered.
    expectOk(await t.gql(`{ ${aliases.split(' s20:')[0]} }`));
  });
});

describe('an exhausted pool', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
    await t.gql(ViewerKindDocument);
  });
  afterAll(() => t.close());

  it('is a 503 that says the connections are busy, not that the database is unreachable', async () => {
    // Hold every connection of the pool (5) from outside any request.
    const pool = (t.dataSource.driver as unknown as { master: { connect(): Promise<PoolClient> } }).master;
    const held = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
    try {
      const res = await t.gql(ApiKeyTotalDocument);
      expect(res.status).toBe(503);
      expect(res.body.errors).toEqual([
        {
          message: 'All database connections are busy; try again shortly.',
          path: ['apiKeys'],
          locations: expect.any(Array),
          extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_BUSY' },
        },
      ]);
    } finally {
      for (const client of held) client.release();
    }
    expectOk(await t.gql(ApiKeyTotalDocument));
  });
});

describe('a request’s query runner released while it waits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { DB_CONNECT_TIMEOUT_MS: '60000' } });
  });
  afterAll(() => t.close());

  const pool = () => (t.dataSource.driver as unknown as { master: PoolCounts & { connect(): Promise<PoolClient> } }).master;
  interface PoolCounts {
    totalCount: number;
    idleCount: number;
    waitingCount: number;
  }

  it('for the pool gives its connection back when it arrives, and its slots too', async () => {
    const { budget, db } = t.app.requestBudgets.open();
    // Every connection of the pool (5) held from outside any request: the runner waits for one.
    const held = await Promise.all(Array.from({ length: 5 }, () => pool().connect()));
    const runner = db.createQueryRunner();
    const connecting = runner.connect();
    while (pool().waitingCount === 0) await new Promise((resolve) => setImmediate(resolve));
    await runner.release();
    expect(budget.connections).toBe(0);
    held[0].release();
    await expect(connecting).rejects.toThrow('Query runner already released');
    for (const client of held.slice(1)) client.release();
    expect([pool().totalCount, pool().idleCount, pool().waitingCount]).toEqual([5, 5, 0]);
    expect((t.dataSource.driver as unknown as { connectedQueryRunners: unknown[] }).connectedQueryRunners).not.toContain(runner);
  });
});
