import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { pickEncoding } from '../../src/http/graphiql.route';
import { getIntrospectionQuery } from 'graphql';
import { buildApp } from '../../src/app';
import { SessionTokens } from '../../src/auth/session-tokens';
import { loadConfig } from '../../src/kernel/config';
import { KEYGATE } from '../../src/modules';
import { createDataSource } from '../../src/db/data-source';
import { ApiKeyTotalDocument, DeleteApiKeyDocument, ViewerKindAndApiKeyDocument, ViewerKindDocument } from '../generated/graphql';
import { expectOk, expectUnauthenticated } from '../support/expect';
import { injectGql, queryText } from '../support/graphql-request';
import { TEST_ENCRYPTION_KEY, TEST_SESSION_SECRET, TestApp } from '../support/harness';

// Literal documents: malformed or invalid text, introspection mixed with our fields and a padded oversized body are the inputs here.

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

describe('health', () => {
  it('/healthz answers 200 and reveals nothing', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when the database answers', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('/readyz: 40 checks at once share one SELECT 1 (a flood takes one pool connection, not the pool)', async () => {
    const { result, statements } = await t.countQueries(() =>
      Promise.all(Array.from({ length: 40 }, () => t.app.server.inject({ method: 'GET', url: '/readyz' }))),
    );
    expect(result.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
    expect(statements.filter((s) => s === 'SELECT 1')).toEqual(['SELECT 1']);
  });

  it('/readyz answers 503 when the database is unreachable, /healthz stays up', async () => {
    // A real pg pool pointed at a port nothing listens on.
    const dead = createDataSource({ entities: KEYGATE.entities, url: 'postgres://postgres@127.0.0.1:1/none' });
    const config = loadConfig({ NODE_ENV: 'test', SESSION_SECRET: TEST_SESSION_SECRET, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    const app = await buildApp({
      config,
      dataSource: dead,
      sessionTokens: new SessionTokens({ secret: TEST_SESSION_SECRET, ttlSeconds: 60 }),
      logger: false,
      jobs: false,
    });
    try {
      expect((await app.server.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
      expect((await app.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('GraphiQL', () => {
  it('serves a self-contained page: no script, style or font from any other origin', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/graphiql' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>keygate GraphiQL</title>');
    expect(res.body).toContain('"endpoint":"/graphql"');
    // Header editor prefilled for an API key.
    expect(res.body).toContain('x-api-key');
    expect(res.body).not.toMatch(/<script[^>]+src=["']?https?:/i);
    expect(res.body).not.toMatch(/<link[^>]+href=["']?https?:/i);
    expect(res.body).not.toMatch(/@import\s+url\(["']?https?:/i);
  });

  it('is compressed (br, else gzip), revalidated by ETag (304), and keeps headers a person typed (defaultHeaders)', async () => {
    const br = await t.app.server.inject({ method: 'GET', url: '/graphiql', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers).toMatchObject({ 'content-encoding': 'br', 'cache-control': 'no-cache', vary: 'accept-encoding' });
    const html = brotliDecompressSync(br.rawPayload).toString('utf8');
    expect(br.rawPayload.length).toBeLessThan(html.length / 3);
    const options = graphiqlOptions(html);
    expect(options).toMatchObject({ endpoint: '/graphql', shouldPersistHeaders: true, defaultHeaders: '{\n  "x-api-key": ""\n}' });
    expect('headers' in options).toBe(false);

    const gz = await t.app.server.inject({ method: 'GET', url: '/graphiql', headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).equals(Buffer.from(html))).toBe(true);
    expect(gz.headers.etag).toBe(br.headers.etag);

    const again = await t.app.server.inject({ method: 'GET', url: '/graphiql', headers: { 'if-none-match': br.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('the default query is anonymous, so a pasted query run at once never meets a stale operation name', async () => {
    const res = await t.app.server.inject({ method: 'GET', url: '/graphiql' });
    const { defaultQuery } = graphiqlOptions(res.body) as { defaultQuery: string };
    expect(defaultQuery).toMatch(/^\{\n {2}viewer \{/m);
    expect(defaultQuery).not.toMatch(/^\s*(query|mutation)\b/m);
  });
});

/** The options the page hands to GraphiQL (the JSON argument of its render call). */
function graphiqlOptions(html: string): Record<string, unknown> {
  const match = /renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\);/.exec(html);
  if (!match) throw new Error('no GraphiQL render call in the page');
  return JSON.parse(match[1]) as Record<string, unknown>;
}

describe('pickEncoding', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip;q=0.5', 'gzip'],
    ['*', 'br'],
    ['identity', null],
    ['gzip;q=0', null],
    [undefined, null],
  ] as const)('%s → %s', (header, expected) => {
    expect(pickEncoding(header)).toBe(expected);
  });
});

describe('GraphQL over HTTP', () => {
  it('introspection works without credentials outside production (GraphiQL’s schema fetch)', async () => {
    const res = await t.gql(getIntrospectionQuery(), {}, null);
    expect(res.status).toBe(200);
    expect(res.body.data.__schema.queryType.name).toBe('Query');
  });

  it('an operation mixing introspection with real fields still needs a principal', async () => {
    expectUnauthenticated(await t.gql('{ __schema { queryType { name } } viewer { kind } }', {}, null), 'MISSING');
    expectUnauthenticated(await t.gql('{ ...F } fragment F on Query { apiKeys { totalCount } }', {}, null), 'MISSING');
  });

  it('in production, introspection needs a principal too', async () => {
    const production = await t.secondInstance({ NODE_ENV: 'production', ENCRYPTION_KEY: 'a'.repeat(64) }, { sharePool: true });
    try {
      const res = await injectGql(production.app, getIntrospectionQuery());
      expect(res.status).toBe(401);
      expect(res.body.errors![0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    } finally {
      await production.close();
    }
  });

  const getViewer = (headers: Record<string, string>) =>
    t.app.server.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(queryText(ViewerKindDocument))}`, headers });

  it.each([
    ['x-api-key', (key: string) => ({ 'x-api-key': key })],
    ['Authorization: Bearer', (key: string) => ({ authorization: `Bearer ${key}` })],
    ['Authorization: x-api-key', (key: string) => ({ authorization: `x-api-key ${key}` })],
  ])('a GET query with credentials in %s needs no other header: no page can send it cross-site without a preflight', async (_, headers) => {
    const res = await getViewer(headers(t.rootKey));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
  });

  it('CSRF prevention: a GET carrying only the session cookie (what a cross-site page can make a browser send) is refused before it runs', async () => {
    const res = await getViewer({ cookie: `keygate_session=${t.owner.token}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.json().errors[0].message).toContain('Cross-Site Request Forgery');
  });

  it('GET with a preflight-forcing header works for queries', async () => {
    const res = await getViewer({ 'x-api-key': t.rootKey, 'apollo-require-preflight': 'true' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
  });

  it('partial data keeps HTTP 200: one denied field among allowed ones', async () => {
    const statsOnly = await t.createKey({ stats: ['read'] });
    // apiKey(id) is nullable, so its denial leaves the sibling's data in place.
    const res = await t.gql(ViewerKindAndApiKeyDocument, { id: statsOnly.id }, { key: statsOnly.secret });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ viewer: { kind: 'API_KEY' }, apiKey: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ['apiKey'], extensions: { code: 'FORBIDDEN', required: ['apiKeys:read'] } });
  });

  it('client errors keep their codes; a syntax error is 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await t.gql('{ viewer { ', {}, { key: t.rootKey });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await t.gql('{ nope }', {}, { key: t.rootKey });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a bad variable is 400 BAD_USER_INPUT and never reaches a resolver', async () => {
    const res = await t.gql(ApiKeyTotalDocument, { first: 'ten' as unknown as number }, { key: t.rootKey });
    expect(res.status).toBe(400);
    expect(res.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('a request body over 100 KB is refused with 413', async () => {
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': t.rootKey },
      payload: JSON.stringify({ query: `{ viewer { kind } } # ${'x'.repeat(110 * 1024)}` }),
    });
    expect(res.statusCode).toBe(413);
  });

  it('errors carry no stack traces', async () => {
    const res = await t.gql(DeleteApiKeyDocument, { id: 'not-a-uuid' }, { key: t.rootKey });
    expect(res.body.errors![0].extensions).toEqual({ code: 'NOT_FOUND' });
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
    expectOk(await t.gql(ViewerKindDocument));
  });
});
