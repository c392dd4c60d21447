import net from 'node:net';
import { ViewerKindDocument } from '../generated/graphql';
import { CLIENT_ACCEPT, queryText } from '../support/graphql-request';
import { TestApp } from '../support/harness';

/**
 * Every response names its request in `x-request-id`: the client's own id when it is short and
 * plain (≤ 128 of [A-Za-z0-9._:-]), else a fresh UUID, never the hostile header echoed back. The
 * same id is the `reqId` of every log line of the request and `extensions.requestId` of every
 * GraphQL error (the harness checks that for every operation any suite sends).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await TestApp.create({ logLines: lines, env: { ACCESS_LOG: 'all' } });
});
afterAll(() => t.close());

const post = (headers: Record<string, string>, query = queryText(ViewerKindDocument)) =>
  t.app.server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', accept: CLIENT_ACCEPT, ...headers },
    payload: { query },
  });
const logged = (from: number) => lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('an incoming x-request-id', () => {
  it.each([
    ['a UUID', '0b6f6a9e-6d1f-4c57-9d55-3cbd1f0d6a11'],
    ['a tracing id with dots and colons', 'edge-1.eu:4f2a_9'],
    ['exactly 128 characters', 'a'.repeat(128)],
  ])('%s is kept, echoed, logged and in every error', async (_, id) => {
    const from = lines.length;
    const res = await post({ 'x-request-id': id, 'x-api-key': 'sk_live_nope' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.json().errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'MALFORMED', requestId: id });
    const mine = logged(from);
    expect(mine.map((l) => l.msg)).toEqual(['request']);
    expect(mine.every((l) => l.reqId === id)).toBe(true);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['10 kB', 'x'.repeat(10_240)],
    ['a space', 'abc def'],
    ['unicode', 'r\u00e9quest-\u0661'],
    ['a quote and braces', '"},{"admin":true'],
    ['two headers joined', 'a, b'],
  ])('%s is replaced by a fresh UUID, never echoed', async (_, id) => {
    const from = lines.length;
    const res = await post({ 'x-request-id': id });
    const made = res.headers['x-request-id'] as string;
    expect(made).toMatch(UUID);
    expect(res.body).not.toContain(id);
    expect(res.json().errors[0].extensions.requestId).toBe(made);
    expect(logged(from).map((l) => l.reqId)).toEqual([made]);
    expect(lines.slice(from).join('\n')).not.toContain(id);
  });

  it('CR/LF cannot reach the response headers (raw HTTP, past the client libraries)', async () => {
    await t.app.server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.server.address() as { port: number };
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nx-request-id: abc\rset-cookie: evil=1\r\nConnection: close\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    // Node's parser refuses a bare CR in a header value outright; either way nothing is echoed.
    expect(raw).not.toMatch(/set-cookie: evil/i);
    expect(raw).not.toContain('abc\r');
  });
});

it('without METRICS_PORT there is no metrics listener', () => {
  expect(t.config.metrics).toBeNull();
  expect(t.app.metricsUrl).toBeNull();
});

describe('every response carries an id', () => {
  const cases: [string, () => Promise<{ statusCode: number; headers: Record<string, unknown> }>, number][] = [
    ['a GraphQL success', () => post({ 'x-api-key': t.rootKey }), 200],
    ['a 401 from the context', () => post({ 'x-api-key': 'sk_live_nope' }), 401],
    ['a parse error', () => post({ 'x-api-key': t.rootKey }, '{ viewer {'), 400],
    [
      'Apollo refusing a GET without a preflight header',
      () => t.app.server.inject({ method: 'GET', url: '/graphql?query=%7B__typename%7D' }),
      400,
    ],
    [
      'a body that is not JSON',
      () => t.app.server.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{' }),
      400,
    ],
    ['the 404 handler', () => t.app.server.inject({ method: 'GET', url: '/no/such/page' }), 404],
    ['an unknown short link', () => t.app.server.inject({ method: 'GET', url: '/nothing-here' }), 404],
    ['health', () => t.app.server.inject({ method: 'GET', url: '/healthz' }), 200],
    ['the console redirect', () => t.app.server.inject({ method: 'GET', url: '/console' }), 302],
    ['a refused origin', () => post({ origin: 'https://evil.example', 'x-api-key': t.rootKey }), 403],
  ];
  it.each(cases)('%s', async (_, send, status) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('every GraphQL error carries it: context, parse, CSRF refusal, pre-handler limits, partial data', async () => {
    const id = 'trace-42';
    const stats = (await t.createKey({ shortLinks: ['read'] })).secret;
    await t.gql('mutation { createShortLink(input: { url: "https://example.com/r" }) { id } }');
    const deep = `{ viewer ${'{ organization '.repeat(20)}${'}'.repeat(20)} }`;
    const responses = [
      await post({ 'x-request-id': id, 'x-api-key': 'sk_live_nope' }),
      await post({ 'x-request-id': id, 'x-api-key': t.rootKey }, '{ viewer {'),
      await t.app.server.inject({ method: 'GET', url: '/graphql?query=%7B__typename%7D', headers: { 'x-request-id': id } }),
      await post({ 'x-request-id': id, 'x-api-key': t.rootKey }, deep),
      await post({ 'x-request-id': id, 'x-api-key': stats }, '{ shortLinks(first: 1) { nodes { slug clicks } } }'),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([401, 400, 400, 400, 200]);
    for (const res of responses) {
      expect(res.headers['x-request-id']).toBe(id);
      const errors = res.json().errors as { extensions: { requestId: string } }[];
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) expect(error.extensions.requestId).toBe(id);
    }
  });

  it.each([
    [
      'while finding the principal',
      () => jest.spyOn(t.app.authenticator, 'authenticateKey').mockRejectedValueOnce(new TypeError('principal boom')),
      '{ viewer { kind } }',
      500,
    ],
    [
      'in a resolver',
      () => jest.spyOn(t.app.services.domains, 'list').mockRejectedValueOnce(new TypeError('resolver boom')),
      '{ domains { id } }',
      500,
    ],
  ])('an unexpected error %s is logged once, with its reqId, and answered as internal', async (_, breakIt, query, status) => {
    breakIt();
    const from = lines.length;
    const res = await post({ 'x-request-id': 'unexpected-1', 'x-api-key': t.rootKey }, query);
    expect(res.statusCode).toBe(status);
    const errors = res.json().errors as { extensions: Record<string, unknown> }[];
    expect(errors.map((e) => e.extensions)).toEqual([{ code: 'INTERNAL_SERVER_ERROR', requestId: 'unexpected-1' }]);
    const errorLines = logged(from).filter((l) => (l.level as number) >= 50);
    expect(errorLines.map((l) => [l.reqId, l.msg])).toEqual([['unexpected-1', 'unhandled error in resolver']]);
  });

  it('an error logged while serving a request carries its reqId', async () => {
    const from = lines.length;
    await post({ 'x-request-id': 'with-a-log-line', 'x-api-key': 'sk_live_' + 'a'.repeat(40) });
    const mine = logged(from);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((l) => l.reqId === 'with-a-log-line')).toBe(true);
  });
});
