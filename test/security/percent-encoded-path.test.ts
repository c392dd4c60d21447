import { TestApp } from '../support/harness';

/**
 * Found by the attacker's pass of issue 21: the origin policy decided whether a request was for
 * the API by the path as sent (`request.url` cut at `?`), while Fastify's router percent-decodes
 * the path before matching, so `/%67raphql` (%67 = 'g') ran the GraphQL route, Apollo included,
 * and a request from a refused origin was answered, its mutation run. Browsers send `/%67raphql`
 * as written. Now the policy (and the error handler's GraphQL shape) go by the route matched too
 * (origin-policy.ts, isApiRequest).
 */

let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create();
});
afterAll(() => t.close());

const EVIL = 'https://app.example.com';
const REFUSAL =
  `Browser requests from origin ${EVIL} are refused: CORS_ORIGINS is unset, so only keygate's own origin may call the API ` +
  `from a browser. To allow this one, start keygate with CORS_ORIGINS=${EVIL}.`;

describe('origin policy: a percent-encoded path reaches /graphql without it', () => {
  it('POST /%67raphql from a refused origin: 403 CORS_ORIGIN like POST /graphql, and the mutation does not run', async () => {
    const payload = JSON.stringify({
      query: 'mutation { createShortLink(input: { url: "https://example.com/attack21" }) { __typename } }',
    });
    const headers = { 'content-type': 'application/json', 'x-api-key': t.rootKey, origin: EVIL };

    const plain = await t.app.server.inject({ method: 'POST', url: '/graphql', headers, payload });
    expect(plain.statusCode).toBe(403);
    expect(plain.json().errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', rule: 'CORS_ORIGIN', origin: EVIL });

    const encoded = await t.app.server.inject({ method: 'POST', url: '/%67raphql', headers, payload });
    // It was 200 {"data":{"createShortLink":{"__typename":"ShortLink"}}}.
    expect(encoded.statusCode).toBe(403);
    expect(encoded.json()).toMatchObject({
      errors: [{ message: REFUSAL, extensions: { code: 'FORBIDDEN', rule: 'CORS_ORIGIN', origin: EVIL } }],
    });
    expect(await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE url = 'https://example.com/attack21'")).toEqual([
      { n: 0 },
    ]);
  });

  it('the preflight OPTIONS /%67raphql from a refused origin: 403 CORS_ORIGIN like OPTIONS /graphql', async () => {
    const headers = { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' };
    const plain = await t.app.server.inject({ method: 'OPTIONS', url: '/graphql', headers });
    expect(plain.statusCode).toBe(403);
    const encoded = await t.app.server.inject({ method: 'OPTIONS', url: '/%67raphql', headers });
    // It was 400 from the route (the policy never saw it).
    expect(encoded.statusCode).toBe(403);
    expect(encoded.json().errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', rule: 'CORS_ORIGIN', origin: EVIL });
  });

  it('a GraphQL-route refusal on /%67raphql keeps the GraphQL error shape', async () => {
    // JSON nested past the body parser's bound: an AppError (400) answered as GraphQL errors on /graphql.
    const payload = `{"query":"{ viewer { kind } }","variables":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const headers = { 'content-type': 'application/json', 'x-api-key': t.rootKey };
    const plain = await t.app.server.inject({ method: 'POST', url: '/graphql', headers, payload });
    expect(plain.statusCode).toBe(400);
    expect(plain.json().errors[0].extensions.requestId).toBe(plain.headers['x-request-id']);
    const encoded = await t.app.server.inject({ method: 'POST', url: '/%67raphql', headers, payload });
    expect(encoded.statusCode).toBe(400);
    // It was {"error":"The JSON body nests 2001 levels deep; the limit is 64."}, no code, no requestId.
    expect(encoded.json()).toEqual({
      errors: [
        {
          message: 'The JSON body nests 2001 levels deep; the limit is 64.',
          extensions: { code: 'BAD_USER_INPUT', limit: 'nesting', max: 64, requestId: encoded.headers['x-request-id'] },
        },
      ],
    });
  });
});
