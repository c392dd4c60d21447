import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { analyzeDocument } from '../../src/graphql/analysis/document-analysis';
import { compileBudget, MAX_OPERATION_WEIGHT } from '../../src/graphql/compiled/compile-budget';
import { compiledExecutor } from '../../src/graphql/compiled/compiled-executor';
import type { GraphQLContext } from '../../src/graphql/context';

/**
 * The attacker's review of issue 17: graphql-jit writes every field's whole response path into
 * its code, so 91 KB of long nested aliases made 33 MB of code per document and a few dozen such
 * documents ran the server out of heap; and it names each field's resolve info by joining the
 * path with `_`, so `a_b` and `b { a }` shared one. What is compiled is now weighed first, and
 * what is kept compiled is bounded.
 */
jest.mock('graphql-jit', () => {
  const actual = jest.requireActual('graphql-jit');
  return { ...actual, compileQuery: jest.fn(actual.compileQuery) };
});

const operationOf = (text: string) => {
  const document = parse(text);
  return { document, operation: document.definitions[0] as OperationDefinitionNode };
};
/** The budget reads names and shapes only: any schema will do (the walk tolerates fields it does not know). */
const anySchema = buildSchema('type Query { x: Int }');
const budget = (text: string) => {
  const { document, operation } = operationOf(text);
  return compileBudget(analyzeDocument(anySchema, document), operation);
};

describe('compileBudget', () => {
  it('weighs an operation by the lengths of its joined response paths, fragments expanded', () => {
    // viewer (6) + viewer_kind (11)
    expect(budget('{ viewer { kind } }')).toEqual({ weight: 17 });
    // v (1) + v_k (3), twice through the fragment … plus o (1) + o_k (3)
    expect(budget('query { v: viewer { ...F } o: viewer { ...F } } fragment F on Viewer { k: kind }')).toEqual({ weight: 8 });
  });

  it.each([
    ['introspection', '{ __type(name: "Query") { name } }', 'introspection is not compiled'],
    ['a response key holding "_" (resolve-info names would collide)', '{ a_b: viewer { kind } }', 'the response key a_b holds "_"'],
    ['the alias __proto__', '{ __proto__: viewer { kind } }', 'the name __proto__'],
    ['a fragment named __proto__', 'query { ...__proto__ } fragment __proto__ on Query { viewer { kind } }', 'the name __proto__'],
    ['a variable named $__proto__', 'query($__proto__: Int) { apiKeys(first: $__proto__) { totalCount } }', 'the name __proto__'],
    [
      'thirty nested 3,000-character aliases (33 MB of generated code)',
      `{ ${Array.from({ length: 5 }, (_, i) => `a${i}${'x'.repeat(3000)}: viewer {`).join(' ')} kind ${'}'.repeat(5)} }`,
      `weighs over ${MAX_OPERATION_WEIGHT}`,
    ],
  ])('refuses %s', (_name, text, refused) => {
    expect(budget(text)).toEqual({ refused });
  });

  it('__typename keeps its underscores', () => {
    expect(budget('{ viewer { __typename kind } }')).toEqual({ weight: 6 + 17 + 11 });
  });
});

describe('the compiled-query cache', () => {
  const schema = buildSchema('type Query { alpha: Int beta: Int gamma: Int }');
  const run = (execute: ReturnType<typeof compiledExecutor>, text: string, operation = operationOf(text)) =>
    execute({ ...operation, operationName: undefined, context: {} as GraphQLContext, variables: {} });

  it('keeps compiled operations within its weight: the least recently used goes, and must be run again to come back', async () => {
    const compile = jest.mocked(compileQuery);
    compile.mockClear();
    // Each operation weighs 5 ("alpha", "gamma") or 4 ("beta"); the cache holds 10.
    const execute = compiledExecutor(schema, { compileAfter: 2, maxWeight: 10 });
    const [a, b, c] = ['{ alpha }', '{ beta }', '{ gamma }'].map(operationOf);
    for (const operation of [a, a, b, b]) await run(execute, '', operation);
    expect(compile).toHaveBeenCalledTimes(2);
    await run(execute, '', a);
    expect(compile).toHaveBeenCalledTimes(2);
    // gamma's compile pushes out beta (a was used more recently).
    for (const operation of [c, c]) await run(execute, '', operation);
    expect(compile).toHaveBeenCalledTimes(3);
    // beta counts its runs from zero again: the first is interpreted, the second compiles.
    expect(await run(execute, '', b)).toEqual({ data: { beta: null } });
    expect(compile).toHaveBeenCalledTimes(3);
    await run(execute, '', b);
    expect(compile).toHaveBeenCalledTimes(4);
  });

  it('never compiles what the budget refuses, however often it runs', async () => {
    const compile = jest.mocked(compileQuery);
    compile.mockClear();
    const execute = compiledExecutor(schema, { compileAfter: 1 });
    const heavy = operationOf(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}${'x'.repeat(1500)}: alpha`).join(' ')} }`);
    for (let i = 0; i < 5; i++) expect((await run(execute, '', heavy)).errors).toBeUndefined();
    expect(compile).not.toHaveBeenCalled();
  });
});
