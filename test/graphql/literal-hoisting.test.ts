import { buildSchema, parse, print, type OperationDefinitionNode } from 'graphql';
import { hoistLiterals, type HoistedOperation } from '../../src/graphql/compiled/literal-hoisting';
import { assertOnlyNames } from '../../src/graphql/compiled/compile-seam';

/** The rewrite the compiled path depends on, without a server: document in, names-only document out. */

const schema = buildSchema(`
  enum Colour { RED GREEN }
  input Filter { search: String, colours: [Colour!], min: Int = 3 }
  type Item { id: ID!, name(upper: Boolean): String }
  type Query {
    items(first: Int = 20, filter: Filter, colour: Colour): [Item!]!
    item(id: ID!): Item
    ratio(at: Float): Float
  }
`);

function hoist(text: string, operationIndex = 0): HoistedOperation | { refused: string } {
  const document = parse(text);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  return hoistLiterals(schema, document, operations[operationIndex]);
}

function hoisted(text: string, operationIndex = 0): HoistedOperation {
  const result = hoist(text, operationIndex);
  if ('refused' in result) throw new Error(result.refused);
  return result;
}

describe('hoistLiterals', () => {
  it('turns every literal argument into a declared variable and carries the values beside the document', () => {
    const result = hoisted(
      '{ items(first: 5, filter: { search: "a\\"b", colours: [RED] }, colour: GREEN) { id name(upper: true) } item(id: 7) { id } }',
    );
    expect(print(result.document)).toBe(
      [
        'query ($kg_literal_0: Int, $kg_literal_1: Filter, $kg_literal_2: Colour, $kg_literal_3: Boolean, $kg_literal_4: ID!) {',
        '  items(first: $kg_literal_0, filter: $kg_literal_1, colour: $kg_literal_2) {',
        '    id',
        '    name(upper: $kg_literal_3)',
        '  }',
        '  item(id: $kg_literal_4) {',
        '    id',
        '  }',
        '}',
      ].join('\n'),
    );
    expect({ ...result.constants }).toEqual({
      kg_literal_0: 5,
      kg_literal_1: { search: 'a"b', colours: ['RED'] },
      kg_literal_2: 'GREEN',
      kg_literal_3: true,
      kg_literal_4: 7,
    });
    expect(() => assertOnlyNames(result.document)).not.toThrow();
  });

  it('hoists literals inside fragments, and keeps every field where the client wrote it (error locations)', () => {
    const text = 'query Q { ...F }\nfragment F on Query { items(first: 2) { id } }';
    const result = hoisted(text);
    const fragment = result.document.definitions[1];
    if (fragment.kind !== 'FragmentDefinition') throw new Error('fragment expected');
    const field = fragment.selectionSet.selections[0];
    expect(field.loc!.start).toBe(text.indexOf('items'));
    expect(print(result.document)).toContain('query Q($kg_literal_0: Int)');
    expect(result.constants).toEqual(Object.assign(Object.create(null), { kg_literal_0: 2 }));
  });

  it('takes defaults out of variable definitions, to be used only when the client leaves the variable out', () => {
    const result = hoisted(
      'query($n: Int = 4, $f: Filter = { search: "x" }, $c: Colour) { items(first: $n, filter: $f, colour: $c) { id } }',
    );
    expect(print(result.document)).toMatch(/^query \(\$n: Int, \$f: Filter, \$c: Colour\)/);
    expect(result.defaults).toEqual([
      ['n', 4],
      ['f', { search: 'x' }],
    ]);
  });

  it('keeps only the chosen operation, so other operations’ literals are not hoisted into undeclared variables', () => {
    const result = hoisted('query A { items(first: 1) { id } } query B { item(id: "9") { id } }', 1);
    expect(print(result.document)).toBe('query B($kg_literal_0: ID!) {\n  item(id: $kg_literal_0) {\n    id\n  }\n}');
  });

  it('chooses a prefix no variable of the document starts with', () => {
    const result = hoisted('query($kg_literal_0: Int) { items(first: $kg_literal_0, colour: RED) { id } }');
    expect(Object.keys(result.constants)).toEqual(['_kg_literal_0']);
  });

  it.each([
    [
      'a literal object holding a variable',
      'query($s: String) { items(filter: { search: $s }) { id } }',
      'the literal of argument filter cannot be hoisted',
    ],
    [
      'a list literal holding a variable',
      'query($c: Colour!) { items(filter: { colours: [$c] }) { id } }',
      'the literal of argument filter cannot be hoisted',
    ],
    [
      'a Float literal graphql-js reads as Infinity and refuses as a variable',
      '{ ratio(at: 1e999) }',
      'the literal of argument at cannot be hoisted',
    ],
    ['a directive', 'query($s: Boolean!) { items @skip(if: $s) { id } }', 'directives are not compiled'],
    ['a default that differs as a variable', 'query($r: Float = 1e999) { ratio(at: $r) }', 'the default of $r cannot be hoisted'],
  ])('does not hoist %s: the operation stays on graphql-js', (_name, text, reason) => {
    expect(hoist(text)).toEqual({ refused: reason });
  });
});
