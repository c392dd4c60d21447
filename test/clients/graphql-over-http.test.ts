import { auditServer } from 'graphql-http';
import { listen } from '../support/browser';
import { TestApp } from '../support/harness';

/**
 * The GraphQL-over-HTTP spec's own compliance suite (graphql-http's auditServer), run against a
 * running keygate with a key. Every audit must be ok: no error, no warning, no notice.
 */
let t: TestApp;
let url: string;

beforeAll(async () => {
  t = await TestApp.create();
  url = `${await listen(t)}/graphql`;
});
afterAll(() => t?.close());

const withKey =
  (key: string): typeof fetch =>
  (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', key);
    return fetch(input, { ...init, headers });
  };

it('graphql-http auditServer: every audit ok', async () => {
  const results = await auditServer({ url, fetchFn: withKey(t.rootKey) });
  const notOk = results.filter((r) => r.status !== 'ok').map((r) => `${r.status} ${r.id} ${r.name}`);
  expect(notOk).toEqual([]);
  // graphql-http 1.23.1 has 61 audits; a new version's new audits show up here.
  expect(results).toHaveLength(61);
});

async function send(accept: string | null, query: string, variables?: Record<string, unknown>) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': t.rootKey };
  if (accept !== null) headers.accept = accept;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { errors: { extensions: any }[] } };
}

describe('request errors: 200 under application/json (legacy), 400 under application/graphql-response+json', () => {
  const cases = [
    ['a parse error', '{ viewer {', undefined, 'GRAPHQL_PARSE_FAILED'],
    ['a validation error', '{ nothing }', undefined, 'GRAPHQL_VALIDATION_FAILED'],
    ['a variable that does not coerce', 'query ($n: Int) { apiKeys(first: $n) { totalCount } }', { n: 'x' }, 'BAD_USER_INPUT'],
  ] as const;

  it.each(cases)('%s', async (_, query, variables, code) => {
    for (const [accept, status, type] of [
      ['application/json', 200, 'application/json; charset=utf-8'],
      [null, 200, 'application/json; charset=utf-8'],
      ['*/*', 200, 'application/json; charset=utf-8'],
      ['application/graphql-response+json', 400, 'application/graphql-response+json; charset=utf-8'],
      ['application/graphql-response+json, application/json;q=0.9', 400, 'application/graphql-response+json; charset=utf-8'],
    ] as const) {
      const res = await send(accept, query, variables);
      expect([accept, res.status, res.type, res.body.errors[0].extensions.code]).toEqual([accept, status, type, code]);
    }
  });

  it('401 and 403 stay 401 and 403 under application/json: the seeds require them', async () => {
    const statsOnly = await t.createKey({ stats: ['read'] });
    const forbidden = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': statsOnly.secret },
      body: JSON.stringify({ query: '{ apiKeys { totalCount } }' }),
    });
    expect(forbidden.status).toBe(403);
    const unauthenticated = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ apiKeys { totalCount } }' }),
    });
    expect(unauthenticated.status).toBe(401);
  });
});
