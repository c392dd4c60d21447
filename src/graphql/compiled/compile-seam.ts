import {
  isInputObjectType,
  isObjectType,
  Kind,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/**
 * The only place keygate calls graphql-jit (ESLint refuses the import anywhere else). graphql-jit
 * builds JavaScript source from the document it compiles: names become property accesses, and
 * literal arguments and variable defaults become JavaScript values through `JSON.stringify` plus
 * string replacements that can be steered (the `__MAGIC_DATE__…` marker). So the document must
 * hold nothing a client chose except names, whose grammar (`[_A-Za-z][_0-9A-Za-z]*`) leaves no room
 * for code. literal-hoisting.ts produces such documents; this check proves each one before it is
 * compiled, by allowing node kinds rather than refusing known-bad ones.
 */
const ALLOWED_KINDS: ReadonlySet<string> = new Set([
  Kind.DOCUMENT,
  Kind.OPERATION_DEFINITION,
  Kind.VARIABLE_DEFINITION,
  Kind.VARIABLE,
  Kind.SELECTION_SET,
  Kind.FIELD,
  Kind.ARGUMENT,
  Kind.FRAGMENT_SPREAD,
  Kind.INLINE_FRAGMENT,
  Kind.FRAGMENT_DEFINITION,
  Kind.NAME,
  Kind.NAMED_TYPE,
  Kind.LIST_TYPE,
  Kind.NON_NULL_TYPE,
]);

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * The one GraphQL name JavaScript reads differently: graphql-jit writes response keys into object
 * literals, where `"__proto__": value` sets the prototype instead of adding a key (the fuzzer
 * found the compiled answer's keys out of order, and the value missing from `Object.keys`).
 */
const SPECIAL_IN_JAVASCRIPT = new Set(['__proto__']);

export class CompileSeamViolation extends Error {
  override readonly name = 'CompileSeamViolation';
}

/** Throws unless every node is of an allowed kind, every name is a GraphQL name and every argument is a variable. */
export function assertOnlyNames(document: DocumentNode): void {
  const refuse = (why: string, node: ASTNode): never => {
    throw new CompileSeamViolation(`${why} (${node.kind}${node.loc ? ` at ${node.loc.start}` : ''}); the document is not compiled.`);
  };
  visit(document, {
    enter(node) {
      if (!ALLOWED_KINDS.has(node.kind)) refuse('a value or directive the client wrote would reach generated code', node);
      if (node.kind === Kind.NAME && !NAME.test(node.value)) refuse('a name outside the GraphQL grammar', node);
      if (node.kind === Kind.NAME && SPECIAL_IN_JAVASCRIPT.has(node.value)) refuse(`the name ${node.value}, special in JavaScript`, node);
      if (node.kind === Kind.ARGUMENT && node.value.kind !== Kind.VARIABLE) refuse('an argument that is not a variable', node);
      if (node.kind === Kind.VARIABLE_DEFINITION && (node.defaultValue || node.directives?.length)) refuse('a variable default', node);
      if (node.kind === Kind.FRAGMENT_DEFINITION && node.variableDefinitions?.length) refuse('fragment variables', node);
      return undefined;
    },
  });
}

/**
 * graphql-jit also writes the schema's default values (argument and input-field defaults) into
 * its code, through the same `objectStringify`. They are keygate's own code, not input, but a
 * string default holding a marker, or a Date, would become code all the same: each schema is
 * checked once, and must hold only finite numbers, booleans, null, and strings without a marker.
 */
const checkedSchemas = new WeakSet<GraphQLSchema>();

export function assertPlainDefaults(schema: GraphQLSchema): void {
  if (checkedSchemas.has(schema)) return;
  const plain = (value: unknown, where: string): void => {
    if (value === undefined || value === null || typeof value === 'boolean') return;
    if (typeof value === 'number' && Number.isFinite(value)) return;
    if (typeof value === 'string' && !value.includes('__MAGIC_')) return;
    if (Array.isArray(value)) return value.forEach((v) => plain(v, where));
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.entries(value).forEach(([k, v]) => plain(v, `${where}.${k}`));
    }
    throw new CompileSeamViolation(`the default of ${where} is not a plain value graphql-jit may write into code; no query is compiled.`);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isInputObjectType(type))
      for (const field of Object.values(type.getFields())) plain(field.defaultValue, `${type.name}.${field.name}`);
    if (isObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        for (const arg of field.args) plain(arg.defaultValue, `${type.name}.${field.name}(${arg.name})`);
    }
  }
  checkedSchemas.add(schema);
}

/** graphql-jit's compiler, behind the checks: a document (or schema) that fails them is never compiled. */
export function compileNamesOnly(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): CompiledQuery | ExecutionResult {
  assertPlainDefaults(schema);
  assertOnlyNames(document);
  return compileQuery(schema, document, operationName) as CompiledQuery | ExecutionResult;
}

export { isCompiledQuery, type CompiledQuery };
