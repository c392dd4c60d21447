import { ViewerKindDocument } from '../generated/graphql';
import { TestApp } from '../support/harness';

/**
 * The access log costs nothing for requests nobody asked to see: by default (ACCESS_LOG=errors)
 * only failed or slow requests get a line; ACCESS_LOG=all logs every request. Either way one
 * compact line with the path, never the query string.
 */
const requestLines = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');

const ALL = [
  ['POST', '/graphql', 200],
  ['POST', '/graphql', 401],
  ['GET', '/graphql', 400],
];

describe.each([
  ['errors', ALL.slice(1)],
  ['all', ALL],
] as const)('ACCESS_LOG=%s', (mode, expected) => {
  const lines: string[] = [];
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create({ logLines: lines, env: { ACCESS_LOG: mode } });
  });
  afterAll(() => t.close());

  it(`a 200, a 401 and a refused GET with a query string: ${expected.length} line(s)`, async () => {
    const from = lines.length;
    expect((await t.gql(ViewerKindDocument, {})).status).toBe(200);
    expect((await t.gql(ViewerKindDocument, {}, { key: 'not-a-key' })).status).toBe(401);
    const get = await t.app.server.inject({ method: 'GET', url: '/graphql?query=%7B__typename%7D&variables=%7B%22secret%22%3A1%7D' });
    // A GET without a preflight-forcing header is Apollo's CSRF refusal.
    expect(get.statusCode).toBe(400);
    const logged = requestLines(lines.slice(from));
    expect(logged.map((l) => [l.method, l.path, l.status])).toEqual(expected);
    expect(lines.slice(from).join('\n')).not.toContain('secret');
    for (const l of logged) expect(typeof l.ms).toBe('number');
  });
});
