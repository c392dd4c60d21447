import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { compileQuery } from 'graphql-jit';
import { buildSchema, parse, print, type GraphQLInputObjectType } from 'graphql';
import { ALL_PERMISSIONS } from '../support/access';
import { injectGql } from '../support/graphql-request';
import { TestApp, type SecondInstance } from '../support/harness';
import { assertOnlyNames, assertPlainDefaults } from '../../src/graphql/compiled/compile-seam';
import { JIT_MARKERS } from '../fuzz/hostile-strings';

/**
 * Issue 17, finding 1 and 2: graphql-jit wrote literal arguments into the JavaScript it generated,
 * and its `objectStringify` rewrote a string starting with its public Date marker into
 * `new Date(<the rest of the string>)`, so the tenth run of a document with such a literal ran
 * the client's text inside the server. Here, with the default settings (compiled from the 10th
 * run), every literal position and every marker: nothing runs, the answer is graphql-js's, byte
 * for byte, and every document graphql-jit is handed holds names only.
 */

jest.mock('graphql-jit', () => {
  const actual = jest.requireActual('graphql-jit');
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});

let t: TestApp;
let reference: SecondInstance;
let key: string;
const marker = join(tmpdir(), `keygate-injection-${process.pid}`);
/** What each payload would run, were it code: writes the marker file. */
const code = `process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid))`;

beforeAll(async () => {
  // Default executor settings: jit, compiled from the 10th run.
  t = await TestApp.create();
  reference = await t.secondInstance({ GRAPHQL_EXECUTOR: 'graphql-js', RATE_LIMITS_ENABLED: 'false' }, { sharePool: true });
  key = (await t.createKey(ALL_PERMISSIONS, { name: 'attacker' })).secret;
});
afterEach(() => rmSync(marker, { force: true }));
afterAll(async () => {
  await reference.close();
  await t.close();
});

const PAYLOADS: [string, string][] = [
  ['the Date marker with code after it', `${JIT_MARKERS.date}0||${code}`],
  ['the Date marker closing the call', `${JIT_MARKERS.date}0);${code};(`],
  ['the NaN marker', JIT_MARKERS.nan],
  ['the +Infinity marker', JIT_MARKERS.plusInfinity],
  ['the -Infinity marker', JIT_MARKERS.minusInfinity],
  ['a quote and a statement', `"); ${code}; ("`],
  ['a template literal', `\${${code}}\``],
  ['a line separator', `\u2028${code}\u2029`],
];

/**
 * Where a literal can stand in a query (`LIT` is replaced by the payload as a GraphQL string), and
 * whether the query is then compiled: a literal object that holds a variable is never hoisted, so
 * its query stays on graphql-js.
 */
const POSITIONS: [where: string, template: string, compiled: boolean][] = [
  ['an introspection argument (introspection is never compiled)', '{ __type(name: LIT) { name } }', false],
  ['a root argument', '{ shortLink(id: LIT) { id } }', true],
  ['a field of an input object', '{ stats(filter: { linkId: LIT }) { totalClicks } }', true],
  ['an input object on a list field', '{ shortLinks(first: 5, filter: { search: LIT }) { totalCount nodes { slug } } }', true],
  ['a nested field argument', '{ apiKeys(first: 1, filter: { search: LIT }) { nodes { usage(days: 3) { requests } } } }', true],
  ['a named fragment', 'query { ...F } fragment F on Query { auditLog(first: 2, filter: { action: LIT }) { totalCount } }', true],
  ['an inline fragment', '{ ... on Query { apiKeys(filter: { ownerId: LIT }) { totalCount } } }', true],
  ['a variable default', 'query($s: ID = LIT) { apiKey(id: $s) { id } }', true],
  ['a default inside an input-object variable', 'query($f: ApiKeyFilter = { search: LIT }) { apiKeys(filter: $f) { totalCount } }', true],
  ['a literal object beside a variable', 'query($d: ID) { stats(filter: { linkId: LIT, domainId: $d }) { totalClicks } }', false],
];

const CASES = POSITIONS.flatMap(([where, template, compiled]) =>
  PAYLOADS.map(([what, payload]) => ({ where, what, compiled, query: template.replace('LIT', JSON.stringify(payload)) })),
);

describe('a client literal is data at every position, compiled or not', () => {
  it.each(CASES)('$what in $where: the 12 answers are graphql-js’s, nothing runs, compiled: $compiled', async ({ query, compiled }) => {
    const compile = jest.mocked(compileQuery);
    compile.mockClear();
    const expected = await injectGql(reference.app, query, undefined, { 'x-api-key': key });
    for (let run = 1; run <= 12; run++) {
      const res = await injectGql(t.app, query, undefined, { 'x-api-key': key });
      expect({ status: res.status, body: res.body }).toEqual({ status: expected.status, body: expected.body });
    }
    expect(existsSync(marker)).toBe(false);
    // Compiled on the 10th run, from its hoisted form: no quote, no marker, only names.
    expect(compile).toHaveBeenCalledTimes(compiled ? 1 : 0);
    if (!compiled) return;
    const [, document] = compile.mock.calls[0];
    expect(() => assertOnlyNames(document)).not.toThrow();
    expect(print(document)).not.toMatch(/"|__MAGIC|process/);
  });

  it('without credentials (anonymous introspection outside production), the same', async () => {
    const query = `{ __type(name: ${JSON.stringify(`${JIT_MARKERS.date}0||${code}`)}) { name } }`;
    for (let run = 1; run <= 12; run++) {
      expect(await injectGql(t.app, query).then((r) => [r.status, r.body])).toEqual([200, { data: { __type: null } }]);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('as a variable, the same text was always data; it still is', async () => {
    const query = 'query($n: String!) { __type(name: $n) { name } }';
    for (let run = 1; run <= 12; run++) {
      const res = await injectGql(t.app, query, { n: `${JIT_MARKERS.date}0||${code}` }, { 'x-api-key': key });
      expect([res.status, res.body]).toEqual([200, { data: { __type: null } }]);
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the compile seam', () => {
  it.each([
    ['a string literal', '{ __type(name: "x") { name } }', 'an argument that is not a variable (Argument'],
    ['an enum literal', '{ stats(interval: DAY) { totalClicks } }', 'an argument that is not a variable (Argument'],
    ['a variable default', 'query($n: Int = 1) { shortLinks(first: $n) { totalCount } }', 'a variable default (VariableDefinition'],
    [
      'a directive',
      'query($s: Boolean!) { viewer @skip(if: $s) { kind } }',
      'a value or directive the client wrote would reach generated code (Directive',
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => assertOnlyNames(parse(text))).toThrow(message);
  });

  it('refuses a name outside the grammar, which only a hand-built AST can hold', () => {
    const document = parse('{ viewer { kind } }', { noLocation: true });
    const forged = JSON.parse(JSON.stringify(document).replace('"value":"kind"', '"value":"kind\\"]+process.exit()+[\\""'));
    expect(() => assertOnlyNames(forged)).toThrow('a name outside the GraphQL grammar (Name');
  });

  it('refuses the name __proto__ (an alias written into an object literal sets the prototype): found by the fuzzer', () => {
    expect(() => assertOnlyNames(parse('{ __proto__: viewer { kind } }'))).toThrow('the name __proto__, special in JavaScript (Name');
  });

  it('an alias __proto__ runs on graphql-js, with graphql-js’s answer', async () => {
    const query = '{ permissionCatalog { __proto__: resource zz: action } }';
    const compile = jest.mocked(compileQuery);
    compile.mockClear();
    const expected = await injectGql(reference.app, query, undefined, { 'x-api-key': key });
    expect((expected.body.data as any).permissionCatalog[0]).toEqual({ ['__proto__']: 'shortLinks', zz: 'create' });
    for (let run = 1; run <= 12; run++) {
      const res = await injectGql(t.app, query, undefined, { 'x-api-key': key });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toBe(JSON.stringify(expected.body));
    }
    expect(compile).not.toHaveBeenCalled();
  });

  it('keygate’s schema defaults are plain values; a marker or a Date default refuses every compile', () => {
    const sdl = readFileSync(path.resolve(__dirname, '../../schema/schema.graphql'), 'utf8');
    expect(() => assertPlainDefaults(buildSchema(sdl))).not.toThrow();
    const marked = buildSchema(`type Query { a(x: String = "${JIT_MARKERS.date}0||1"): Int }`);
    expect(() => assertPlainDefaults(marked)).toThrow('the default of Query.a(x) is not a plain value graphql-jit may write into code');
    const dated = buildSchema('input I { at: String } type Query { a(i: I = { at: "x" }): Int }');
    (dated.getType('I') as GraphQLInputObjectType).getFields().at.defaultValue = new Date(0);
    expect(() => assertPlainDefaults(dated)).toThrow('the default of I.at is not a plain value');
  });

  it('accepts a hoisted document', () => {
    expect(() =>
      assertOnlyNames(
        parse('query($a: Int, $b: ApiKeyFilter!) { apiKeys(first: $a, filter: $b) { nodes { ...F } } } fragment F on ApiKey { id }'),
      ),
    ).not.toThrow();
  });
});

/**
 * The attacker's review: graphql-jit's code grows with the sum of response-path lengths, and 91 KB
 * documents of long nested aliases ran the server out of heap after a few dozen were compiled.
 */
describe('what is compiled is bounded', () => {
  const long = (i: number) => `a${i}${'x'.repeat(3000)}`;
  it.each([
    [
      'thirty nested 3,000-character aliases under __type',
      `{ ${long(1)}: __type(name: "Query") { ${Array.from({ length: 29 }, (_, i) => `${long(i + 2)}: ofType {`).join(' ')} name ${'}'.repeat(29)} } }`,
    ],
    [
      'ten nested 3,000-character aliases on viewer',
      `{ ${long(1)}: viewer { ${long(2)}: organization { ${long(3)}: name } ${long(4)}: apiKey { ${long(5)}: name ${long(6)}: createdBy { ${long(7)}: name } } } }`,
    ],
  ])('%s: answered by graphql-js twelve times, never compiled', async (_name, query) => {
    const compile = jest.mocked(compileQuery);
    compile.mockClear();
    const expected = await injectGql(reference.app, query, undefined, { 'x-api-key': key });
    expect(expected.status).toBe(200);
    for (let run = 1; run <= 12; run++) {
      const res = await injectGql(t.app, query, undefined, { 'x-api-key': key });
      expect({ status: res.status, body: res.body }).toEqual({ status: expected.status, body: expected.body });
    }
    expect(compile).not.toHaveBeenCalled();
  });
});
