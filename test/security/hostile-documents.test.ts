import { buildSchema, parse, getIntrospectionQuery, type OperationDefinitionNode } from 'graphql';
import { MAX_FRAGMENTS, MAX_SELECTIONS, measureDocument } from '../../src/graphql/pipeline/limits.stage';
import { MAX_COMPLEXITY } from '../../src/graphql/cost';
import { costStage } from '../../src/graphql/pipeline/cost.stage';
import { expectOk } from '../support/expect';
import { TestApp, type GqlResponse } from '../support/harness';

// Literal documents: each is built to make validation or costing explode, so its text is the test input.

/**
 * Documents built to make validation or costing explode. Each is answered at once — the bound
 * of 5 s is a hang detector (the exponential document used to take 26 s), not a speed
 * assertion — and refused with every error naming its limit. A key with no permissions at all
 * is enough to send them, so that is what sends them here.
 */
let t: TestApp;
let nobody: string;
beforeAll(async () => {
  t = await TestApp.create();
  nobody = (await t.createKey({})).secret;
});
afterAll(() => t.close());

const HANG_DETECTOR_MS = 5_000;

/** `query { viewer { ...F0 } }` where each fragment spreads the next one twice: 2^(levels-1) expanded selections. */
function doublingDocument(levels: number): string {
  const parts = ['query { viewer { ...F0 } }'];
  for (let i = 0; i < levels - 1; i++) parts.push(`fragment F${i} on Viewer { ...F${i + 1} ...F${i + 1} }`);
  parts.push(`fragment F${levels - 1} on Viewer { kind }`);
  return parts.join(' ');
}

function fragmentChain(length: number): string {
  const parts = ['query { viewer { ...F0 } }'];
  for (let i = 0; i < length - 1; i++) parts.push(`fragment F${i} on Viewer { kind ...F${i + 1} }`);
  parts.push(`fragment F${length - 1} on Viewer { kind }`);
  return parts.join(' ');
}

async function timed(query: string, variables?: Record<string, unknown>, key = nobody): Promise<{ res: GqlResponse<any>; ms: number }> {
  const started = process.hrtime.bigint();
  const res = await t.gql(query, variables, { key });
  return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function limitsOf(res: GqlResponse<unknown>): string[] {
  return [...new Set(res.body.errors!.map((e) => e.extensions?.limit as string | undefined))].filter((l): l is string => !!l).sort();
}

describe('validation is linear in the size of the document', () => {
  it('the 25-level doubling fragment document is refused for its expanded size, at once', async () => {
    const document = doublingDocument(25);
    expect(document.length).toBeLessThan(1_500);
    const { res, ms } = await timed(document);
    console.log(`25-level doubling document (${document.length} bytes) refused in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(HANG_DETECTOR_MS);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([
      {
        message: `The document expands to ${2 ** 24 + 1} field selections; the limit is ${MAX_SELECTIONS}.`,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'selections', max: MAX_SELECTIONS },
      },
    ]);
    // The process was never stalled: liveness answers right after.
    expect((await t.app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('a 60-level doubling document (2^59 selections) is measured without overflow or delay', async () => {
    const { res, ms } = await timed(doublingDocument(60));
    expect(ms).toBeLessThan(HANG_DETECTOR_MS);
    expect(res.status).toBe(400);
    expect(limitsOf(res)).toEqual(['selections']);
  });

  it('a chain of 2,000 fragments (84 KB) is refused for its fragment count, at once', async () => {
    const document = fragmentChain(2_000);
    const { res, ms } = await timed(document);
    console.log(`chain of 2,000 fragments (${document.length} bytes) refused in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(HANG_DETECTOR_MS);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        message: `The document defines 2000 fragments; the limit is ${MAX_FRAGMENTS}.`,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'fragments', max: MAX_FRAGMENTS },
      },
    ]);
  });

  it(`${MAX_FRAGMENTS} fragments are allowed; one more is refused`, async () => {
    expect(expectOk(await t.gql(fragmentChain(MAX_FRAGMENTS), {}, { key: nobody })).viewer.kind).toBe('API_KEY');
    const res = await t.gql(fragmentChain(MAX_FRAGMENTS + 1), {}, { key: nobody });
    expect(res.status).toBe(400);
    expect(limitsOf(res)).toEqual(['fragments']);
  });

  it('the measurement counts each fragment once: depth and expanded size of the doubling document', () => {
    const measured = measureDocument(parse(doublingDocument(25)));
    expect(measured.fragments).toBe(25);
    expect([...measured.operations.values()]).toEqual([{ depth: 2, selections: 1 + 2 ** 24 }]);
  });

  it('GraphiQL’s introspection query stays well inside every limit', () => {
    const [shape] = measureDocument(parse(getIntrospectionQuery())).operations.values();
    expect(shape.selections).toBeLessThan(MAX_SELECTIONS / 4);
  });
});

describe('the complexity limit fails closed', () => {
  const HEAVY = '{ apiKeys(first: 100) { nodes { id usage(days: 366) { day } } } }';

  it('refuses the heavy query alone', async () => {
    const res = await t.gql(HEAVY);
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      limit: 'complexity',
      max: MAX_COMPLEXITY,
      complexity: 36_901,
    });
  });

  it('padded with a fragment that expands past any node cap, it is still refused and never runs', async () => {
    const padding = Array.from({ length: 16 }, (_, i) => `fragment P${i} on Viewer { ...P${i + 1} ...P${i + 1} }`).join(' ');
    const padded = `{ apiKeys(first: 100) { nodes { id usage(days: 366) { day } } } viewer { ...P0 } } ${padding} fragment P16 on Viewer { kind }`;
    const { res, ms } = await timed(padded, undefined, t.rootKey);
    expect(ms).toBeLessThan(HANG_DETECTOR_MS);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(limitsOf(res)).toEqual(['selections']);
  });

  it('padded with a fragment that stays under the selection cap, it is refused for complexity', async () => {
    const padding = Array.from({ length: 9 }, (_, i) => `fragment P${i} on Viewer { ...P${i + 1} ...P${i + 1} }`).join(' ');
    const padded = `{ apiKeys(first: 100) { nodes { id usage(days: 366) { day } } } viewer { ...P0 } } ${padding} fragment P9 on Viewer { kind }`;
    const res = await t.gql(padded);
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', max: MAX_COMPLEXITY });
    expect(res.body.errors![0].extensions!.complexity).toBeGreaterThan(36_901);
  });

  it('an operation whose cost cannot be measured is refused, naming the limit', async () => {
    // A schema the cost model does not know how to walk: a spread of an unknown fragment (which
    // validation would have caught) makes the measurement fail.
    const schema = buildSchema('type Query { a: Int }');
    const document = parse('{ ...Missing }');
    expect(() =>
      costStage()({
        request: { variables: {} },
        document,
        operation: document.definitions[0] as OperationDefinitionNode,
        schema,
      } as never),
    ).toThrow(
      expect.objectContaining({
        message: 'The query’s complexity could not be measured; it is refused.',
        extensions: { code: 'BAD_USER_INPUT', limit: 'complexity', max: MAX_COMPLEXITY, http: { status: 400 } },
      }),
    );
  });
});

describe('cost follows the work', () => {
  it('a stats series costs its buckets: 12 aliases of shortLinks(first: 100) with a year of hourly series is refused', async () => {
    const statsReader = (await t.createKey({ shortLinks: ['read'], stats: ['read'] })).secret;
    const to = new Date();
    const from = new Date(to.getTime() - 365 * 24 * 3600 * 1000);
    const alias = (i: number) =>
      `a${i}: shortLinks(first: 100) { nodes { stats(interval: HOUR, from: "${from.toISOString()}", to: "${to.toISOString()}") { series { bucket } } } }`;
    const res = await t.gql(`{ ${Array.from({ length: 12 }, (_, i) => alias(i)).join(' ')} }`, {}, { key: statsReader });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    const extensions = res.body.errors![0].extensions!;
    expect(extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', max: MAX_COMPLEXITY });
    // 12 × (1 + 100 × (1 + 1 + (1 + 8,761 × 1))): a year of hours is 8,760 or 8,761 buckets.
    expect(extensions.complexity).toBeGreaterThan(10_000_000);
  });

  it('defaults count too: stats(interval: HOUR) is a day of buckets, DAY thirty', async () => {
    const one = (args: string) => `{ shortLinks(first: 10) { nodes { stats(${args}) { series { bucket } } } } }`;
    // 1 + 10 × (1 + 1 + (1 + 25 × 1)) with a day of hours: at most 25 buckets.
    const hourly = await t.gql(one('interval: HOUR'));
    expect(hourly.status).toBe(200);
    const refused = await t.gql(
      `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: shortLinks(first: 10) { nodes { stats(interval: DAY) { series { bucket } } } }`).join(' ')} }`,
    );
    // 20 × (1 + 10 × (1 + 1 + (1 + 31))) = 6,820
    expect(refused.body.errors![0].extensions).toMatchObject({ limit: 'complexity', complexity: 6_820 });
  });

  it('a list multiplies everything below it, through every level of nesting', async () => {
    const res = await t.gql(
      '{ a: apiKeys(first: 100) { nodes { usage(days: 7) { day } permissions { scopes } } } b: auditLog(first: 100) { nodes { id } } }',
    );
    // apiKeys: 1 + 100 × (1 + (1 + 7 × 1) + (1 + 1)) = 1,101; auditLog: 1 + 100 × (1 + 1) = 201
    expect(res.status).toBe(200);
    const over = await t.gql(
      `{ ${Array.from({ length: 5 }, (_, i) => `k${i}: apiKeys(first: 100) { nodes { usage(days: 7) { day } permissions { scopes } } }`).join(' ')} }`,
    );
    expect(over.body.errors![0].extensions).toMatchObject({ limit: 'complexity', complexity: 5 * 1_101 });
  });
});
