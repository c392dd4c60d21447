import { checkedBody } from '../support/graphql-request';
import { TestApp, type SecondInstance } from '../support/harness';

let t: TestApp;
let listed: SecondInstance;
beforeAll(async () => {
  t = await TestApp.create();
  listed = await t.secondInstance({ CORS_ORIGINS: 'https://app.example.com' }, { sharePool: true });
});
afterAll(async () => {
  await listed?.close();
  await t.close();
});

type Injectable = Pick<TestApp['app'], 'server'>;

const VIEWER = JSON.stringify({ query: '{ viewer { kind } }' });

const preflight = (app: Injectable, origin: string) =>
  app.server.inject({
    method: 'OPTIONS',
    url: '/graphql',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
  });

const post = (app: Injectable, headers: Record<string, string>, payload = VIEWER) =>
  app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': t.rootKey, ...headers },
    payload,
  });

const CREATE_LINK = JSON.stringify({ query: 'mutation { createShortLink(input: { url: "https://example.com/cors" }) { __typename } }' });

const UNSET_REFUSAL =
  "Browser requests from origin https://app.example.com are refused: CORS_ORIGINS is unset, so only keygate's own origin may call the API " +
  'from a browser. To allow this one, start keygate with CORS_ORIGINS=https://app.example.com.';

const refusalBody = (message: string, origin: string) => ({
  errors: [{ message, extensions: { code: 'FORBIDDEN', rule: 'CORS_ORIGIN', origin } }],
});

describe('CORS_ORIGINS unset: browsers on other origins get a refusal that names CORS_ORIGINS', () => {
  it('a preflight from another origin: 403 with the reason, no CORS headers', async () => {
    const res = await preflight(t.app, 'https://app.example.com');
    expect(res.statusCode).toBe(403);
    expect(checkedBody(res)).toEqual(refusalBody(UNSET_REFUSAL, 'https://app.example.com'));
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a POST from another origin: 403 with the same reason, not Apollo’s CSRF message; nothing runs', async () => {
    const res = await post(t.app, { origin: 'https://app.example.com' }, CREATE_LINK);
    expect(res.statusCode).toBe(403);
    expect(checkedBody(res)).toEqual(refusalBody(UNSET_REFUSAL, 'https://app.example.com'));
    // A simple (preflight-free) cross-origin POST is refused the same way.
    const simple = await post(t.app, { origin: 'https://app.example.com', 'content-type': 'text/plain' }, CREATE_LINK);
    expect(simple.statusCode).toBe(403);
    expect(checkedBody(simple)).toEqual(refusalBody(UNSET_REFUSAL, 'https://app.example.com'));
    expect(await t.dataSource.query("SELECT count(*)::int AS n FROM short_links WHERE url = 'https://example.com/cors'")).toEqual([
      { n: 0 },
    ]);
    // The same mutation without Origin runs: the refusal above was the origin's, nothing else.
    expect((await post(t.app, {}, CREATE_LINK)).json()).toEqual({ data: { createShortLink: { __typename: 'ShortLink' } } });
    const opaque = await post(t.app, { origin: 'null' });
    expect(opaque.statusCode).toBe(403);
    expect(opaque.json().errors[0].message).toBe(
      "Browser requests from origin null are refused: CORS_ORIGINS is unset, so only keygate's own origin may call the API " +
        'from a browser. To allow this one, start keygate with CORS_ORIGINS=null.',
    );
  });

  it('no Origin (curl, scripts) and keygate’s own origin (GraphiQL, the console) work as before', async () => {
    const curl = await post(t.app, {});
    expect(curl.statusCode).toBe(200);
    expect(curl.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
    // PUBLIC_URL's origin (http://localhost:4000 by default)…
    const publicOrigin = await post(t.app, { origin: 'http://localhost:4000' });
    expect(publicOrigin.statusCode).toBe(200);
    expect(publicOrigin.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
    // …or the origin the request was addressed to (a page served by this host).
    const sameHost = await post(t.app, { origin: 'http://keys.internal:8080', host: 'keys.internal:8080' });
    expect(sameHost.statusCode).toBe(200);
    expect(sameHost.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
    // Other paths are not the API and are left alone.
    expect((await t.app.server.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://app.example.com' } })).statusCode).toBe(
      200,
    );
  });
});

describe('CORS_ORIGINS=https://app.example.com', () => {
  it('the listed origin: preflight 204 with CORS headers, then the request runs', async () => {
    const pre = await preflight(listed.app, 'https://app.example.com');
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const res = await post(listed.app, { origin: 'https://app.example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.json()).toEqual({ data: { viewer: { kind: 'API_KEY' } } });
  });

  it('another origin: 403 saying it is not in CORS_ORIGINS, preflight and request', async () => {
    const message = 'Browser requests from origin https://evil.example are refused: it is not in CORS_ORIGINS.';
    const pre = await preflight(listed.app, 'https://evil.example');
    expect(pre.statusCode).toBe(403);
    expect(checkedBody(pre)).toEqual(refusalBody(message, 'https://evil.example'));
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await post(listed.app, { origin: 'https://evil.example' });
    expect(res.statusCode).toBe(403);
    expect(checkedBody(res)).toEqual(refusalBody(message, 'https://evil.example'));
  });
});
