import { withRequestIdChecked } from '../support/graphql-request';
import { createHash } from 'node:crypto';
import { expectOk } from '../support/expect';
import { TestApp } from '../support/harness';

// Literal documents: the transport matrix sends raw text (URL, body, persisted-query hash), and the text is what the admission rule judges.

/**
 * Issue 8 §2: one admission rule for every transport. Nothing but a pure introspection document
 * runs without a principal — GET or POST, query in the URL or the body, persisted-query hash —
 * and the rule judges the document Apollo actually executes.
 */

const STORED = '{ viewer { kind } permissionCatalog { scope } }';
const INTROSPECTION = '{__schema{queryType{name}}}';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

interface Attempt {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  body?: Record<string, unknown>;
}

/** Every way of sending an operation anonymously. */
function transports(query: string, options: { hashes: boolean }): Attempt[] {
  const extensions = persisted(query);
  const q = encodeURIComponent(query);
  const ext = encodeURIComponent(JSON.stringify(extensions));
  const introspection = encodeURIComponent(INTROSPECTION);
  const attempts: Attempt[] = [
    { name: 'POST, query in the body', method: 'POST', url: '/graphql', body: { query } },
    { name: 'GET, query in the URL', method: 'GET', url: `/graphql?query=${q}` },
    {
      name: 'POST, introspection in the URL, the real query in the body',
      method: 'POST',
      url: `/graphql?query=${introspection}`,
      body: { query },
    },
  ];
  if (options.hashes) {
    attempts.push(
      { name: 'POST, query and its hash in the body', method: 'POST', url: '/graphql', body: { query, extensions } },
      { name: 'POST, only the hash in the body', method: 'POST', url: '/graphql', body: { extensions } },
      {
        name: 'POST, introspection in the URL, only the hash in the body',
        method: 'POST',
        url: `/graphql?query=${introspection}`,
        body: { extensions },
      },
      { name: 'GET, only the hash in the URL', method: 'GET', url: `/graphql?extensions=${ext}` },
    );
  }
  return attempts;
}

async function send(t: TestApp, attempt: Attempt, headers: Record<string, string> = {}) {
  const res = await t.app.server.inject({
    method: attempt.method,
    url: attempt.url,
    // A header that forces a CORS preflight, so CSRF prevention lets the GET through to the rule.
    headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...headers },
    ...(attempt.body ? { payload: attempt.body } : {}),
  });
  // Every error names the request (extensions.requestId = x-request-id): checked, then left out.
  const checked = withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) });
  return {
    status: checked.status,
    body: checked.body as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] },
  };
}

describe('default: automatic persisted queries off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  it.each(transports(STORED, { hashes: false }).map((a) => [a.name, a] as const))(
    '%s without credentials: 401 MISSING, no SQL, nothing executed',
    async (_name, attempt) => {
      const { result, count } = await t.countQueries(() => send(t, attempt));
      expect(result.status).toBe(401);
      expect(result.body).toEqual({
        errors: [{ message: expect.stringContaining('No credentials'), extensions: { code: 'UNAUTHENTICATED', reason: 'MISSING' } }],
      });
      expect(count).toBe(0);
    },
  );

  it('a persisted-query hash is refused as not supported (Apollo’s protocol answer), with or without credentials, with or without the query', async () => {
    const introspection = encodeURIComponent(INTROSPECTION);
    for (const auth of [{}, { 'x-api-key': t.rootKey }] as Record<string, string>[]) {
      for (const attempt of [
        { name: 'hash', method: 'POST', url: `/graphql?query=${introspection}`, body: { extensions: persisted(STORED) } },
        { name: 'query and hash', method: 'POST', url: '/graphql', body: { query: STORED, extensions: persisted(STORED) } },
        { name: 'GET hash', method: 'GET', url: `/graphql?extensions=${encodeURIComponent(JSON.stringify(persisted(STORED)))}` },
      ] as Attempt[]) {
        const { result, count } = await t.countQueries(() => send(t, attempt, auth));
        expect(result.body.errors).toEqual([
          { message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } },
        ]);
        expect(result.body.data).toBeUndefined();
        if (!auth['x-api-key']) expect(count).toBe(0);
      }
    }
  });

  it('pure introspection runs without credentials outside production (GraphiQL fetches the schema)', async () => {
    const res = await send(t, { name: 'introspection', method: 'POST', url: '/graphql', body: { query: INTROSPECTION } });
    expect(res).toEqual({ status: 200, body: { data: { __schema: { queryType: { name: 'Query' } } } } });
  });

  it.each([
    ['__typename alone', '{ __typename }'],
    ['introspection beside a field of ours', '{ __schema { queryType { name } } viewer { kind } }'],
    [
      'introspection with our field through a fragment',
      'query { __schema { queryType { name } } ...F } fragment F on Query { viewer { kind } }',
    ],
    [
      'introspection with our field through an inline fragment',
      'query { __type(name: "Query") { name } ... on Query { permissionCatalog { scope } } }',
    ],
    ['a mutation', 'mutation { deleteApiKey(id: "00000000-0000-4000-8000-000000000000") }'],
  ])('%s without credentials: 401 MISSING', async (_name, query) => {
    const res = await send(t, { name: 'doc', method: 'POST', url: '/graphql', body: { query } });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    expect(res.body.data).toBeUndefined();
  });

  it('batched requests are refused (one operation per request)', async () => {
    const res = await t.app.server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': t.rootKey },
      payload: [{ query: '{ viewer { kind } }' }],
    });
    expect(res.statusCode).toBe(400);
  });

  it('a subscription is 400 BAD_REQUEST, never a 500', async () => {
    const res = await t.gql('subscription { viewer { kind } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
  });
});

describe('automatic persisted queries on (PERSISTED_QUERIES=true)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { PERSISTED_QUERIES: 'true' } });
    // Any key stores the operation under its hash.
    const stored = await send(
      t,
      { name: 'store', method: 'POST', url: '/graphql', body: { query: STORED, extensions: persisted(STORED) } },
      { 'x-api-key': t.rootKey },
    );
    expect(stored.status).toBe(200);
    expect(stored.body.errors).toBeUndefined();
  });
  afterAll(() => t.close());

  it.each(transports(STORED, { hashes: true }).map((a) => [a.name, a] as const))(
    '%s without credentials: 401 MISSING, the stored operation never runs',
    async (_name, attempt) => {
      const { result, count } = await t.countQueries(() => send(t, attempt));
      expect(result.status).toBe(401);
      expect(result.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED', reason: 'MISSING' }]);
      expect(result.body.data).toBeUndefined();
      expect(count).toBe(0);
    },
  );

  it('with a key, the hash alone runs the stored operation', async () => {
    const res = await send(
      t,
      { name: 'hash', method: 'POST', url: '/graphql', body: { extensions: persisted(STORED) } },
      { 'x-api-key': t.rootKey },
    );
    expect(res.status).toBe(200);
    expect((res.body.data as { viewer: unknown }).viewer).toEqual({ kind: 'API_KEY' });
  });

  it('a hash stored for introspection runs anonymously, judged on the stored document', async () => {
    await send(t, { name: 'store', method: 'POST', url: '/graphql', body: { query: INTROSPECTION, extensions: persisted(INTROSPECTION) } });
    const res = await send(t, { name: 'hash', method: 'POST', url: '/graphql', body: { extensions: persisted(INTROSPECTION) } });
    expect(res).toEqual({ status: 200, body: { data: { __schema: { queryType: { name: 'Query' } } } } });
  });

  it('a hash that does not match its query is 400 BAD_REQUEST (not an internal error)', async () => {
    const res = await send(
      t,
      {
        name: 'mismatch',
        method: 'POST',
        url: '/graphql',
        body: { query: '{ viewer { kind } }', extensions: persisted('{ something else }') },
      },
      { 'x-api-key': t.rootKey },
    );
    expect(res).toEqual({
      status: 400,
      body: { errors: [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('an unknown hash is PERSISTED_QUERY_NOT_FOUND, so a client sends the full query', async () => {
    const res = await send(
      t,
      { name: 'unknown', method: 'POST', url: '/graphql', body: { extensions: persisted('{ never stored }') } },
      { 'x-api-key': t.rootKey },
    );
    expect(res.body.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
  });
});

describe('production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ env: { NODE_ENV: 'production', PERSISTED_QUERIES: 'true' } });
  });
  afterAll(() => t.close());

  it('introspection needs a principal like everything else', async () => {
    const res = await send(t, { name: 'introspection', method: 'POST', url: '/graphql', body: { query: INTROSPECTION } });
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    const withKey = await send(
      t,
      { name: 'introspection', method: 'POST', url: '/graphql', body: { query: INTROSPECTION } },
      { 'x-api-key': t.rootKey },
    );
    expect(expectOk({ status: withKey.status, headers: {}, body: withKey.body as never })).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });
});
