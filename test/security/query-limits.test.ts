import { getIntrospectionQuery } from 'graphql';
import { loadConfig } from '../../src/kernel/config';
import { MAX_ALIASES, MAX_DEPTH, MAX_TOKENS } from '../../src/graphql/pipeline/limits.stage';
import { MAX_COMPLEXITY } from '../../src/graphql/cost';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: each sits just under or over a limit (depth, aliases, cost, page size, batching), so its text is the test input.

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

/** `levels` nested field levels, counting the leaf: nest(2) is `{ viewer { kind } }`. */
const nest = (levels: number) => `${'viewer { '.repeat(levels - 1)}kind${' }'.repeat(levels - 1)}`;

describe('query limits', () => {
  it(`refuses a document deeper than ${MAX_DEPTH} levels with GRAPHQL_VALIDATION_FAILED naming the limit`, async () => {
    // The schema has no cycle this deep, so the document is also invalid in other ways; the depth
    // rule still reports itself by name, before anything runs.
    const res = await t.gql(`{ ${nest(MAX_DEPTH + 1)} }`);
    expect(res.status).toBe(400);
    expect(res.body.errors!.map((e) => e.message)).toContain(`Query depth ${MAX_DEPTH + 1} exceeds the limit of ${MAX_DEPTH}.`);
    expect(res.body.errors!.every((e) => e.extensions!.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  });

  it('depth follows named fragments; a document at the limit is not refused for depth', async () => {
    const atLimit = await t.gql(`{ ${nest(MAX_DEPTH)} }`);
    expect(atLimit.body.errors!.some((e) => e.message.startsWith('Query depth'))).toBe(false);
    const viaFragment = await t.gql(`query { viewer { ...A } } fragment A on Viewer { ${nest(MAX_DEPTH)} }`);
    expect(viaFragment.body.errors!.map((e) => e.message)).toContain(`Query depth ${MAX_DEPTH + 1} exceeds the limit of ${MAX_DEPTH}.`);
  });

  it('introspection is not counted (GraphiQL’s schema query is deep)', async () => {
    const res = await t.gql(getIntrospectionQuery());
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it(`a document of more than ${MAX_TOKENS} tokens is not parsed past that (graphql's maxTokens, also Apollo's)`, async () => {
    // One-letter fields, no aliases, nothing nested: only its length in tokens is wrong (60 KB, under the body limit).
    const long = `{ viewer { ${'a '.repeat(MAX_TOKENS)}} }`;
    const res = await t.gql(long);
    expect(res.status).toBe(400);
    expect(res.body.errors!.map((e) => [e.message, e.extensions!.code])).toEqual([
      // graphql-js's own words, typo and all.
      [`Syntax Error: Document contains more that ${MAX_TOKENS} tokens. Parsing aborted.`, 'GRAPHQL_PARSE_FAILED'],
    ]);
    const introspection = getIntrospectionQuery();
    expect(introspection.split(/\s+/).length).toBeLessThan(MAX_TOKENS / 4);
  });

  it(`refuses more than ${MAX_ALIASES} aliases`, async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { kind }`).join(' ')} }`;
    expectOk(await t.gql(aliases(MAX_ALIASES)));
    const res = await t.gql(aliases(MAX_ALIASES + 1));
    expect(res.status).toBe(400);
    expect(res.body.errors![0]).toMatchObject({
      message: `The document uses more than ${MAX_ALIASES} aliases.`,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it(`refuses an operation whose complexity exceeds ${MAX_COMPLEXITY}; list fields cost by their first`, async () => {
    const fields = 'id name type status prefix last4 maskedKey createdAt lastUsedAt expiresAt requestCount';
    expectOk(await t.gql(`{ apiKeys(first: 100) { nodes { ${fields} } } }`));
    const heavy = `{ ${Array.from({ length: 6 }, (_, i) => `k${i}: apiKeys(first: 100) { nodes { ${fields} owner { id email } } }`).join(' ')} }`;
    const res = await t.gql(heavy);
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'complexity', max: MAX_COMPLEXITY });
    expect(res.body.errors![0].message).toMatch(new RegExp(`^Query complexity \\d+ exceeds the limit of ${MAX_COMPLEXITY}`));
    // Variables count too.
    const viaVariables = await t.gql(
      `query($n: Int) { ${Array.from({ length: 6 }, (_, i) => `k${i}: apiKeys(first: $n) { nodes { ${fields} owner { id email } } }`).join(' ')} }`,
      { n: 100 },
    );
    expect(viaVariables.body.errors![0].extensions!.limit).toBe('complexity');
  });

  it('first is capped at 100', async () => {
    const res = await t.gql('{ shortLinks(first: 101) { totalCount } }');
    expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { first: 'first must be between 1 and 100.' } });
  });

  it('one operation per request: a batched (array) request is refused', async () => {
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': t.rootKey },
      payload: JSON.stringify([{ query: '{ viewer { kind } }' }, { query: '{ viewer { kind } }' }]),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('batch');
  });
});

describe('CORS', () => {
  it('no CORS headers by default; CORS_ORIGINS allows exactly the listed origins', async () => {
    const preflight = (app: { server: { inject: TestApp['app']['server']['inject'] } }, origin: string) =>
      app.server.inject({
        method: 'OPTIONS',
        url: '/graphql',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' },
      });
    expect((await preflight(t.app, 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();

    const withCors = await t.secondInstance({ CORS_ORIGINS: 'https://app.example.com' }, { sharePool: true });
    try {
      const ok = await preflight(withCors.app, 'https://app.example.com');
      expect(ok.statusCode).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(String(ok.headers['access-control-allow-headers'])).toContain('x-api-key');
      expect((await preflight(withCors.app, 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await withCors.close();
    }
    expect(() => loadConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow(/CORS_ORIGINS/);
  });
});
