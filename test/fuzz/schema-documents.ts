import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  print,
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * A grammar-based generator of GraphQL operations over keygate's own schema (fast-check's `gen`,
 * so runs are seeded, reproducible and shrink). Documents are mostly valid, to reach execution,
 * with every argument a literal or a variable at random, literals and variable values drawn from
 * the hostile corpus at every string position, and a share of deliberate mistakes (wrong kinds,
 * missing variables, broken text) to reach every refusal. Names only come from the schema.
 */
export interface Pools {
  /** Hostile strings (hostile-strings.ts). */
  hostile: string[];
  /** Ids worth trying: this organization's objects, another organization's, unknown ones. */
  ids: () => string[];
  /** Webhook event names. */
  events: string[];
}

export interface FuzzCase {
  operation: 'query' | 'mutation';
  query: string;
  variables: Record<string, unknown>;
}

type G = fc.GeneratorValue;

/** Plausible values by argument or input-field name, so changes also succeed, not only fail. */
function plausible(name: string, g: G, pools: Pools): unknown {
  const n = g(fc.integer, { min: 0, max: 1_000_000 });
  switch (name) {
    case 'url':
      return g(fc.constantFrom, `https://example.com/p/${n}`, `http://example.org/${n}?q=1`, 'ftp://nope', 'not a url');
    case 'hostname':
      return g(fc.constantFrom, `fuzz-${n}.example.com`, 'localhost', '127.0.0.1', 'bad host');
    case 'email':
      return g(fc.constantFrom, `fuzz${n}@example.com`, 'owner@acme.test', 'not-an-email');
    case 'slug':
      return g(fc.constantFrom, `s${n}`, '', 'has space', 'x'.repeat(65));
    case 'events':
      return g(fc.subarray, [...pools.events, 'no.such.event'], { maxLength: 3 });
    default:
      return undefined;
  }
}

function stringValue(name: string, g: G, pools: Pools): string {
  const kind = g(fc.integer, { min: 0, max: 9 });
  if (kind < 4) return g(fc.constantFrom, ...pools.hostile);
  if (kind < 6) return g(fc.string, { maxLength: 20 });
  if (kind < 7) return g(fc.string, { unit: 'binary', maxLength: 12 });
  if (name === 'id' || name.endsWith('Id')) return g(fc.constantFrom, ...pools.ids());
  return g(fc.constantFrom, `fuzz ${name}`, 'Acme', 'a');
}

/** A JavaScript value for an input type, as JSON variables carry it (enums as their names). */
export function inputValue(type: GraphQLInputType, name: string, g: G, pools: Pools, depth = 0): unknown {
  if (isNonNullType(type)) return inputValue(type.ofType, name, g, pools, depth);
  // Deliberate mistakes: null where it may not be, and the wrong kind of value.
  const roll = g(fc.integer, { min: 0, max: 99 });
  if (roll < 2) return null;
  if (roll < 4) return g(fc.constantFrom, 'wrong', 7, true, [], {});
  if (isListType(type)) {
    const listed = plausible(name, g, pools);
    if (listed !== undefined && Array.isArray(listed)) return listed;
    const length = g(fc.integer, { min: 0, max: depth > 2 ? 1 : 3 });
    return Array.from({ length }, () => inputValue(type.ofType, name, g, pools, depth + 1));
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return g(fc.integer, { min: 0, max: 29 }) === 0 ? 'NOT_A_VALUE' : g(fc.constantFrom, ...values);
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (required || g(fc.boolean)) out[field.name] = inputValue(field.type, field.name, g, pools, depth + 1);
    }
    return out;
  }
  const fitting = plausible(name, g, pools);
  if (fitting !== undefined && g(fc.boolean)) return fitting;
  switch (getNamedType(type).name) {
    case 'Int':
      return g(fc.integer, { min: 0, max: 19 }) === 0
        ? g(fc.constantFrom, 2147483647, -2147483648, 2147483648, 400, 100000)
        : g(fc.integer, { min: -3, max: 120 });
    case 'Boolean':
      return g(fc.boolean);
    case 'ID':
      return g(fc.integer, { min: 0, max: 3 }) === 0 ? stringValue(name, g, pools) : g(fc.constantFrom, ...pools.ids());
    case 'DateTime':
    case 'Date':
      return g(fc.boolean) ? g(fc.date, { noInvalidDate: true }).toISOString() : g(fc.constantFrom, ...pools.hostile);
    default:
      return stringValue(name, g, pools);
  }
}

/** The literal a client would write for `value` under `type` (enum names unquoted). */
function literal(value: unknown, type: GraphQLInputType | undefined): ValueNode {
  const inner = type && isNonNullType(type) ? type.ofType : type;
  if (value === null || value === undefined) return { kind: Kind.NULL };
  if (typeof value === 'boolean') return { kind: Kind.BOOLEAN, value };
  if (typeof value === 'number') return { kind: Kind.INT, value: String(value) };
  if (Array.isArray(value))
    return { kind: Kind.LIST, values: value.map((v) => literal(v, inner && isListType(inner) ? inner.ofType : undefined)) };
  if (typeof value === 'object') {
    const fields = inner && isInputObjectType(inner) ? inner.getFields() : {};
    return {
      kind: Kind.OBJECT,
      fields: Object.entries(value).map(([k, v]) => ({
        kind: Kind.OBJECT_FIELD,
        name: { kind: Kind.NAME, value: k },
        value: literal(v, fields[k]?.type),
      })),
    };
  }
  const named = inner && !isListType(inner) ? getNamedType(inner) : undefined;
  if (named && isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(String(value))) return { kind: Kind.ENUM, value: String(value) };
  return { kind: Kind.STRING, value: String(value) };
}

function typeNode(type: GraphQLInputType): TypeNode {
  if (isNonNullType(type)) return { kind: Kind.NON_NULL_TYPE, type: typeNode(type.ofType) as never };
  if (isListType(type)) return { kind: Kind.LIST_TYPE, type: typeNode(type.ofType) };
  return { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: type.name } };
}

/** One to `most` of `items`, drawn by index: fast-check compares a generator's arguments, and schema objects are cyclic. */
function pick<T>(g: G, items: T[], most: number): T[] {
  const indexes = g(fc.subarray, [...items.keys()], { minLength: 1, maxLength: Math.min(most, items.length) });
  return indexes.map((i) => items[i]);
}

/**
 * Names the generator gives aliases, variables and fragments: plain ones, and the ones JavaScript
 * treats specially when they become property names in generated code or in an object literal.
 */
const ODD_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
  'length',
  'Object',
];

function nameFor(g: G, prefix: string, n: number): string {
  return g(fc.integer, { min: 0, max: 7 }) === 0 ? `${g(fc.constantFrom, ...ODD_NAMES)}${n ? n : ''}` : `${prefix}${n}`;
}

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

/** Builds one operation; `state` collects variables and fragments as selections are made. */
class OperationBuilder {
  readonly variables: Record<string, unknown> = {};
  readonly definitions: VariableDefinitionNode[] = [];
  readonly fragments: FragmentDefinitionNode[] = [];
  private aliases = 0;

  constructor(
    private readonly g: G,
    private readonly pools: Pools,
  ) {}

  private variable(type: GraphQLInputType, argName: string): ValueNode {
    const { g } = this;
    const id = nameFor(g, 'v', this.definitions.length);
    const value = inputValue(type, argName, g, this.pools);
    const withDefault = !isNonNullType(type) && g(fc.integer, { min: 0, max: 9 }) === 0;
    this.definitions.push({
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: name(id) },
      type: typeNode(type),
      defaultValue: withDefault ? (literal(inputValue(type, argName, g, this.pools), type) as never) : undefined,
    });
    // Sometimes left out: a default, null or a missing-variable error follows.
    if (g(fc.integer, { min: 0, max: 9 }) > 0) this.variables[id] = value;
    return { kind: Kind.VARIABLE, name: name(id) };
  }

  private argument(arg: GraphQLField<unknown, unknown>['args'][number]): ArgumentNode {
    const { g } = this;
    const byVariable = g(fc.integer, { min: 0, max: 99 }) < 35;
    let value: ValueNode = byVariable
      ? this.variable(arg.type, arg.name)
      : literal(inputValue(arg.type, arg.name, g, this.pools), arg.type);
    // A literal object holding a variable (the shape the compiled path refuses to hoist).
    const named = getNamedType(arg.type);
    if (!byVariable && value.kind === Kind.OBJECT && isInputObjectType(named) && g(fc.integer, { min: 0, max: 4 }) === 0) {
      const [first] = Object.values(named.getFields());
      value = {
        ...value,
        fields: [
          ...value.fields.filter((f) => f.name.value !== first.name),
          { kind: Kind.OBJECT_FIELD, name: name(first.name), value: this.variable(first.type, first.name) },
        ],
      };
    }
    return { kind: Kind.ARGUMENT, name: name(arg.name), value };
  }

  /** Selections on `type`: `chosen` fields (the root's), or a few of its fields (leaves only from depth 3). */
  selections(type: GraphQLObjectType, depth: number, chosen?: GraphQLField<unknown, unknown>[]): SelectionNode[] {
    const { g } = this;
    if (!chosen) {
      const fields = Object.values(type.getFields()).filter((f) => depth < 3 || isLeafType(getNamedType(f.type)));
      chosen = pick(g, fields, 3);
    }
    const selections: SelectionNode[] = chosen.map((field) => this.field(field, depth));
    if (g(fc.integer, { min: 0, max: 9 }) === 0) selections.push({ kind: Kind.FIELD, name: name('__typename') });
    const wrap = g(fc.integer, { min: 0, max: 19 });
    if (wrap === 0) {
      const fragment = nameFor(g, 'F', this.fragments.length);
      this.fragments.push({
        kind: Kind.FRAGMENT_DEFINITION,
        name: name(fragment),
        typeCondition: { kind: Kind.NAMED_TYPE, name: name(type.name) },
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      });
      return [{ kind: Kind.FRAGMENT_SPREAD, name: name(fragment) }];
    }
    if (wrap === 1) {
      return [
        {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: { kind: Kind.NAMED_TYPE, name: name(type.name) },
          selectionSet: { kind: Kind.SELECTION_SET, selections },
        },
      ];
    }
    return selections;
  }

  private field(field: GraphQLField<unknown, unknown>, depth: number): FieldNode {
    const { g } = this;
    const args = field.args
      .filter((a) => (isNonNullType(a.type) && a.defaultValue === undefined) || g(fc.boolean))
      .map((a) => this.argument(a));
    const named = getNamedType(field.type);
    const alias = g(fc.integer, { min: 0, max: 5 }) === 0 ? name(nameFor(g, 'a', this.aliases++)) : undefined;
    const directive = g(fc.integer, { min: 0, max: 29 });
    const directives =
      directive < 2
        ? [
            {
              kind: Kind.DIRECTIVE,
              name: name(directive ? 'include' : 'skip'),
              arguments: [{ kind: Kind.ARGUMENT, name: name('if'), value: literal(g(fc.boolean), undefined) }],
            } as const,
          ]
        : undefined;
    return {
      kind: Kind.FIELD,
      alias,
      name: name(field.name),
      arguments: args,
      directives,
      selectionSet: isObjectType(named) ? { kind: Kind.SELECTION_SET, selections: this.selections(named, depth + 1) } : undefined,
    };
  }
}

/** One generated case: a query (one to three root fields) or a mutation (one root field, so its outcome is clear). */
export function fuzzCase(schema: GraphQLSchema, pools: Pools): fc.Arbitrary<FuzzCase> {
  return fc.gen().map((g) => {
    const operation = g(fc.integer, { min: 0, max: 9 }) < 7 ? 'query' : 'mutation';
    const root = operation === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
    const builder = new OperationBuilder(g, pools);
    const picked = pick(g, Object.values(root.getFields()), operation === 'query' ? 3 : 1);
    const selections = builder.selections(root, 0, picked);
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: operation === 'query' ? ('query' as never) : ('mutation' as never),
          variableDefinitions: builder.definitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections },
        },
        ...builder.fragments,
      ],
    };
    let query = print(document);
    // Broken text now and then: cut short, or a character dropped in.
    const damage = g(fc.integer, { min: 0, max: 39 });
    if (damage === 0) query = query.slice(0, g(fc.integer, { min: 0, max: query.length }));
    if (damage === 1) {
      const at = g(fc.integer, { min: 0, max: query.length });
      query = query.slice(0, at) + g(fc.constantFrom, '{', '}', '"', '$', '(', '\\', '\u0000', '#') + query.slice(at);
    }
    return { operation, query, variables: builder.variables };
  });
}
