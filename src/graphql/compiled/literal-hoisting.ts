import {
  coerceInputValue,
  isListType,
  isNonNullType,
  Kind,
  parse,
  TypeInfo,
  typeFromAST,
  valueFromAST,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
  type ASTNode,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * One operation rewritten so that no value the client wrote remains in it: every literal argument
 * becomes a variable (`first: 50` → `first: $kg_literal_0`), every variable default is taken out,
 * and the values travel beside the document, as data. graphql-jit writes literal arguments and
 * variable defaults into the JavaScript it generates (its `objectStringify` even turns a marked
 * string into `new Date(<rest of the string>)`), so a document it compiles must hold nothing but
 * names, which the GraphQL grammar restricts to `[_A-Za-z][_0-9A-Za-z]*`. compile-seam.ts checks
 * that, and refuses anything else, before the compiler sees the document.
 */
export interface HoistedOperation {
  /** A private parse of the same text (same locations), holding only the compiled operation and the fragments. */
  document: DocumentNode;
  /** The hoisted literals' values as JSON variables would carry them, keyed by variable name. */
  constants: Record<string, unknown>;
  /** Defaults taken out of variable definitions: used when the client leaves the variable out. */
  defaults: [name: string, value: unknown][];
}

/** Why an operation stays on graphql-js: hoisting cannot keep graphql-js's meaning for it. */
export type NotHoisted = { refused: string };

/**
 * The hoisted form of `operation` (an operation of `document`, which has been validated), or why
 * there is none. A literal is hoisted only when the variable it becomes is coerced to exactly the
 * value graphql-js would give the literal; otherwise (a literal holding a variable, a value the
 * two coercions read differently, a directive) the operation is not compiled at all.
 */
export function hoistLiterals(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): HoistedOperation | NotHoisted {
  const index = document.definitions.indexOf(operation);
  const copy = document.loc ? parse(document.loc.source) : structuredClone(document);
  const target = copy.definitions[index] as OperationDefinitionNode;
  // The other operations go: their literals would be hoisted into variables nobody declares.
  const kept = copy.definitions.filter((d) => d === target || d.kind === Kind.FRAGMENT_DEFINITION);
  const prefix = freePrefix(copy);
  const constants: Record<string, unknown> = Object.create(null);
  const defaults: [string, unknown][] = [];
  const hoisted: VariableDefinitionNode[] = [];
  let refused: string | undefined;

  const typeInfo = new TypeInfo(schema);
  const rewritten = visit(
    { ...copy, definitions: kept },
    visitWithTypeInfo(typeInfo, {
      Directive() {
        refused ??= 'directives are not compiled';
        return false;
      },
      VariableDefinition(node) {
        if (!node.defaultValue) return undefined;
        const type = typeFromAST(schema, node.type) as GraphQLInputType | undefined;
        const value = type && sameWhenHoisted(node.defaultValue, type);
        if (!value) {
          refused ??= `the default of $${node.variable.name.value} cannot be hoisted`;
          return undefined;
        }
        defaults.push([node.variable.name.value, value.external]);
        return { ...node, defaultValue: undefined };
      },
      Argument(node) {
        if (node.value.kind === Kind.VARIABLE) return undefined;
        const type = typeInfo.getArgument()?.type;
        const value = type && sameWhenHoisted(node.value, type);
        if (!value) {
          refused ??= `the literal of argument ${node.name.value} cannot be hoisted`;
          return undefined;
        }
        const name = `${prefix}${hoisted.length}`;
        const variable = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } } as const;
        hoisted.push({ kind: Kind.VARIABLE_DEFINITION, variable, type: typeNode(type) });
        constants[name] = value.external;
        return { ...node, value: variable };
      },
    }),
  );
  if (refused) return { refused };
  const definitions = rewritten.definitions.map((d) =>
    d.kind === Kind.OPERATION_DEFINITION ? { ...d, variableDefinitions: [...(d.variableDefinitions ?? []), ...hoisted] } : d,
  );
  return { document: { ...rewritten, definitions }, constants, defaults };
}

/**
 * The literal's value as a JSON variable would carry it, when coercing that variable gives what
 * graphql-js gives the literal (a Float literal `1e999` is Infinity as a literal but refused as a
 * variable, so it is not). Literals holding variables are never hoisted: their value changes per
 * request.
 */
function sameWhenHoisted(node: ValueNode, type: GraphQLInputType): { external: unknown } | null {
  if (holdsVariable(node)) return null;
  const internal = valueFromAST(node, type);
  if (internal === undefined) return null;
  const external = valueFromASTUntyped(node);
  try {
    const coerced = coerceInputValue(external, type, () => {
      throw new Error('differs');
    });
    return sameValue(coerced, internal) ? { external } : null;
  } catch {
    return null;
  }
}

/**
 * Structural equality that ignores prototypes: graphql-js builds a literal's input object with no
 * prototype and a variable's with Object's. Leaves compare with Object.is, Dates by time.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function holdsVariable(node: ValueNode): boolean {
  if (node.kind === Kind.VARIABLE) return true;
  if (node.kind === Kind.LIST) return node.values.some(holdsVariable);
  if (node.kind === Kind.OBJECT) return node.fields.some((f) => holdsVariable(f.value));
  return false;
}

/** The type's AST (names come from the schema). */
function typeNode(type: GraphQLInputType): TypeNode {
  if (isNonNullType(type)) return { kind: Kind.NON_NULL_TYPE, type: typeNode(type.ofType) as never };
  if (isListType(type)) return { kind: Kind.LIST_TYPE, type: typeNode(type.ofType) };
  return { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: type.name } };
}

/** A variable-name prefix no variable of the document starts with. */
function freePrefix(document: ASTNode): string {
  const names: string[] = [];
  visit(document, {
    Variable(node) {
      names.push(node.name.value);
    },
  });
  let prefix = 'kg_literal_';
  while (names.some((n) => n.startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}
