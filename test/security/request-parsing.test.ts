import { checkedBody } from '../support/graphql-request';
import { connect } from 'node:net';
import { ALL_PERMISSIONS } from '../support/access';
import { listen } from '../support/browser';
import { TestApp } from '../support/harness';

/**
 * Where keygate's checks and Apollo could read one request two ways. Found by the dependency
 * review of issue 17: Fastify's query-string parser and Apollo's (URLSearchParams) disagree on a
 * value with an escape that is not UTF-8, and Apollo's Fastify integration throws on a Host header
 * that is not a host. Each is held here to one reading, over a real socket where it matters.
 */

const logLines: string[] = [];
let t: TestApp;
let key: string;
let port: number;

beforeAll(async () => {
  t = await TestApp.create({ logLines });
  key = (await t.createKey(ALL_PERMISSIONS, { name: 'parsing' })).secret;
  port = Number(new URL(await listen(t)).port);
});
afterAll(() => t.close());

const errorLines = () => logLines.filter((line) => JSON.parse(line).level >= 50);

/** One raw HTTP/1.1 request, as a client that writes its own headers would send it. */
function raw(request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('a GET is measured as Apollo reads it', () => {
  // `%23%C0`: a valid escape, then one that is not UTF-8. Fastify kept the whole value encoded
  // (so the limits saw no document); Apollo decoded the rest and ran it.
  const broken = '%23%C0';

  it('a document over the depth limit, with a broken escape after it: still 400 depth', async () => {
    const deep = `{ viewer { ${'organization { '.repeat(13)} id ${'}'.repeat(13)} } }`;
    const res = await t.app.server.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(deep)}${broken}`,
      headers: { 'x-api-key': key, 'apollo-require-preflight': '1' },
    });
    expect(res.statusCode).toBe(400);
    expect(checkedBody(res).errors![0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: 12 });
  });

  it('variables nested 2,000 deep, with a broken escape after them: 400 naming the limit, not a 500', async () => {
    const before = errorLines().length;
    const variables = `{"x":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const res = await t.app.server.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('{ viewer { kind } }')}&variables=${encodeURIComponent(variables)}${broken}`,
      headers: { 'x-api-key': key, 'apollo-require-preflight': '1' },
    });
    expect({ status: res.statusCode, body: checkedBody(res) }).toEqual({
      status: 400,
      body: {
        errors: [
          {
            message: 'The variables parameter nests 2001 levels deep; the limit is 64.',
            extensions: { code: 'BAD_USER_INPUT', limit: 'nesting', max: 64 },
          },
        ],
      },
    });
    expect(errorLines().length).toBe(before);
  });
});

describe('the Host header', () => {
  it.each(['a b', 'exa mple.com', '[::1'])('Host: %s is a 400 BAD_REQUEST before anything else, nothing logged at error', async (host) => {
    const before = errorLines().length;
    const res = await raw(
      `GET /graphql?query=%7Bviewer%7Bkind%7D%7D HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${key}\r\napollo-require-preflight: 1\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      errors: [
        {
          message: 'The request target or its Host header is not a valid URL.',
          extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) },
        },
      ],
    });
    expect(errorLines().length).toBe(before);
  });

  it('an ordinary Host still works', async () => {
    const res = await raw(
      `GET /graphql?query=%7Bviewer%7Bkind%7D%7D HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-api-key: ${key}\r\napollo-require-preflight: 1\r\nConnection: close\r\n\r\n`,
    );
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { data: { viewer: { kind: 'API_KEY' } } }]);
  });
});

describe('a fragment in the request target', () => {
  // find-my-way routes `/graphql#…` to /graphql. A `?` after the `#` starts no query for the
  // pre-handler limits (they read the target as a URL does), so Apollo must not find one there either.
  it('hides no document from the limits: a query after # is no query at all', async () => {
    const deep = `{ viewer ${'{ organization '.repeat(30)}${'}'.repeat(30)} }`;
    const before = errorLines().length;
    const res = await raw(
      `GET /graphql#x?query=${encodeURIComponent(deep)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-api-key: ${key}\r\napollo-require-preflight: 1\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errors[0].message).toBe(
      'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.',
    );
    expect(errorLines().length).toBe(before);
  });
});
