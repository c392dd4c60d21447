import * as inspectModule from 'graphql/jsutils/inspect.js';
import { TestApp } from '../support/harness';
import { CLIENT_ACCEPT } from '../support/graphql-request';

/**
 * Variables built to make error reporting expensive (found by an attacker's pass): thousands of
 * unknown fields in one input object, thousands of wrong values in one list. graphql-js makes one
 * error per problem and prints the whole value in each, so an unbounded walk is quadratic: 11,000
 * keys (99 KB) cost 17–22 s of CPU. The work is counted here (graphql-js's value printer, the
 * answer's size), not timed.
 */
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

async function send(query: string, variables: Record<string, unknown>, key: string) {
  const res = await t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', accept: CLIENT_ACCEPT, 'x-api-key': key },
    payload: { query, variables },
  });
  return { status: res.statusCode, bytes: res.body.length, body: res.json() as { errors: { message: string; extensions: any }[] } };
}

it('4,000 unknown fields in one input object: refused after a bounded number of value printings, named at its parent', async () => {
  const key = await t.createKey({ stats: ['read'] });
  const f: Record<string, number> = {};
  for (let i = 0; i < 4000; i++) f[`k${i}`] = 0;
  const printed = jest.spyOn(inspectModule, 'inspect');
  try {
    const res = await send('query($f: StatsFilter) { stats(filter: $f) { totalClicks } }', { f }, key.secret);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    // graphql-js places an unknown field at its parent: one entry, the first unknown field named.
    expect(res.body.errors[0].extensions.fields).toEqual({ f: 'Field "k0" is not defined by type "StatsFilter".' });
    // Each of the cost stage's and the executor's errors prints the value once: at most 1 + 50, and a few for the types (unbounded it was one per unknown field: 4,000).
    expect(printed.mock.calls.length).toBeLessThanOrEqual(60);
  } finally {
    printed.mockRestore();
  }
});

it('19,000 wrong values in one list: one error naming the first 50, a small answer', async () => {
  const tags = Array.from({ length: 19_000 }, () => true);
  const res = await send(
    'mutation($input: CreateShortLinkInput!) { createShortLink(input: $input) { id } }',
    { input: { url: 'https://example.com/', tags } },
    t.rootKey,
  );
  expect(res.status).toBe(400);
  expect(res.body.errors).toHaveLength(1);
  const fields = res.body.errors[0].extensions.fields as Record<string, string>;
  expect(Object.keys(fields)).toEqual(Array.from({ length: 50 }, (_, i) => `input.tags[${i}]`));
  expect(res.body.errors[0].message).toContain('the first 50 problems are in extensions.fields; there may be more');
  expect(res.bytes).toBeLessThan(20_000);
  const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM short_links');
  expect(n).toBe(0);
});
