import { checkedBody, withRequestIdChecked } from '../support/graphql-request';
import { ALL_PERMISSIONS } from '../support/access';
import { TestApp } from '../support/harness';
import { documentNestingBeyond, jsonNestingBeyond, MAX_NESTING } from '../../src/kernel/input-nesting';

/**
 * Issue 17, finding 4: 3,000-deep variables were a 500 with an error-level log line on every
 * request (a recursive walk overflowed the stack), and a deep list literal a 400 whose message was
 * "Maximum call stack size exceeded". Every way a client nests values (a JSON body, a GET's
 * variables and extensions, the brackets of a document) is now bounded before anything recursive
 * sees it: 400 BAD_USER_INPUT naming the limit, and no error logged.
 */

const logLines: string[] = [];
let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await TestApp.create({ logLines });
  key = (await t.createKey(ALL_PERMISSIONS, { name: 'deep' })).secret;
});
afterAll(() => t.close());

const lists = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

async function post(payload: string, url = '/graphql') {
  const res = await t.app.server.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    payload,
  });
  const { status, body } = withRequestIdChecked({ status: res.statusCode, headers: res.headers, body: JSON.parse(res.body) });
  return { status, body };
}

function refusal(what: string, depth: number) {
  return {
    status: 400,
    body: {
      errors: [
        {
          message: `${what} nests ${depth} levels deep; the limit is ${MAX_NESTING}.`,
          extensions: { code: 'BAD_USER_INPUT', limit: 'nesting', max: 64 },
        },
      ],
    },
  };
}

const errorLines = () => logLines.filter((line) => JSON.parse(line).level >= 50);

describe('JSON bodies and variables', () => {
  it.each([
    ['3,000 nested lists', lists(3000), 3002],
    ['15,000 nested objects', objects(15_000), 15_002],
    ['one level past the limit', lists(63), 65],
  ])('%s in an unused variable: 400 naming the limit, nothing logged at error', async (_name, value, depth) => {
    const before = errorLines().length;
    const body = `{"query":"{ viewer { kind } }","variables":{"x":${value}}}`;
    expect(await post(body)).toEqual(refusal('The JSON body', depth));
    expect(errorLines().length).toBe(before);
  });

  it('at the limit, the same request runs', async () => {
    expect(await post(`{"query":"{ viewer { kind } }","variables":{"x":${lists(62)}}}`)).toEqual({
      status: 200,
      body: { data: { viewer: { kind: 'API_KEY' } } },
    });
  });

  it('brackets inside strings do not count', async () => {
    const text = JSON.stringify('['.repeat(5000));
    expect(await post(`{"query":"{ viewer { kind } }","variables":{"x":${text}}}`)).toMatchObject({ status: 200 });
  });

  it('a deep value with invalid text inside is refused for its depth, not walked', async () => {
    expect(await post(`{"query":"{ viewer { kind } }","variables":{"x":${lists(200, '"nul\\u0000"')}}}`)).toEqual(
      refusal('The JSON body', 202),
    );
  });

  it.each(['variables', 'extensions'])('a GET with deep %s: the same 400', async (name) => {
    const res = await t.app.server.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('{ viewer { kind } }')}&${name}=${encodeURIComponent(`{"x":${lists(3000)}}`)}`,
      headers: { 'x-api-key': key },
    });
    expect({ status: res.statusCode, body: checkedBody(res) }).toEqual(refusal(`The ${name} parameter`, 3001));
  });

  it('other JSON routes are bounded too (the console’s sign-in link)', async () => {
    const res = await post(`{"token":${lists(3000)}}`, '/console/auth/sign-in-link');
    expect(res).toEqual({ status: 400, body: { error: `The JSON body nests 3001 levels deep; the limit is ${MAX_NESTING}.` } });
  });
});

describe('documents', () => {
  it.each([
    ['a 3,000-deep list literal', `{ __type(name: ${lists(3000, '"x"')}) { name } }`, 3002],
    ['a 5,000-deep selection', `${'{ a '.repeat(5000)}${'}'.repeat(5000)}`, 5000],
    ['19,000 nested selections before a character that does not lex', `{ viewer ${'{ a '.repeat(19_000)}${'}'.repeat(19_000)} } ~`, 19_001],
    ['a 100-deep object literal', `{ stats(filter: ${'{ linkId: '.repeat(100)}"x"${'}'.repeat(100)}) { totalClicks } }`, 102],
  ])('%s: 400 BAD_USER_INPUT naming the limit (was "Maximum call stack size exceeded")', async (_name, query, depth) => {
    const before = errorLines().length;
    expect(await post(JSON.stringify({ query }))).toEqual(refusal('The document', depth));
    expect(errorLines().length).toBe(before);
  });

  it('brackets inside strings and block strings do not count', async () => {
    const query = `{ a: __type(name: ${JSON.stringify('['.repeat(3000))}) { name } b: __type(name: """${'{'.repeat(3000)}""") { name } }`;
    expect(await post(JSON.stringify({ query }))).toEqual({ status: 200, body: { data: { a: null, b: null } } });
  });
});

describe('the scanners (no server)', () => {
  it('JSON: depth past the limit, or null; strings and escapes skipped', () => {
    expect(jsonNestingBeyond(lists(64))).toBeNull();
    expect(jsonNestingBeyond(lists(65))).toBe(65);
    expect(jsonNestingBeyond(`["\\"${'['.repeat(100)}"]`)).toBeNull();
    expect(jsonNestingBeyond(`[${'{}'.repeat(1000)}]`)).toBeNull();
  });

  it('documents: brackets of every kind count; strings, block strings and comments do not', () => {
    expect(documentNestingBeyond(`{ a(x: ${lists(62)}) }`)).toBeNull();
    expect(documentNestingBeyond(`{ a(x: ${lists(63)}) }`)).toBe(65);
    expect(documentNestingBeyond(`{ a(x: "${'['.repeat(100)}") # ${'('.repeat(100)}\n }`)).toBeNull();
    // Text that stops lexing is judged on the depth reached before it; shallow, the parser reports the syntax error.
    expect(documentNestingBeyond(`${'['.repeat(100)} "unterminated`)).toBe(100);
    expect(documentNestingBeyond(`${'['.repeat(10)} "unterminated${' ['.repeat(100)}`)).toBeNull();
  });
});
