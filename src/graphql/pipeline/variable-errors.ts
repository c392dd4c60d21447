import {
  coerceInputValue,
  GraphQLError,
  isInputType,
  isNonNullType,
  print,
  typeFromAST,
  type GraphQLSchema,
  type VariableDefinitionNode,
} from 'graphql';

/** As graphql-js's own default: past this many, a client learns nothing more from another error. */
export const MAX_VARIABLE_ERRORS = 50;

/** Thrown from coerceInputValue's callback to stop walking a value once enough is known. */
const ENOUGH = Symbol('enough variable problems');

/** `input.permissions.stats[0]`: the variable's name, then the path into its value. */
function fieldKey(variable: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((key, step) => (typeof step === 'number' ? `${key}[${step}]` : `${key}.${step}`), variable);
}

/**
 * Every problem with the variables, keyed by where it is. graphql-js reports them as separate
 * errors whose only location is in the message; a form needs them together, by field.
 */
export function variableProblems(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  variables: Record<string, unknown>,
): Record<string, string> {
  const fields: Record<string, string> = {};
  try {
    collectProblems(schema, definitions, variables, fields);
  } catch (error) {
    if (error !== ENOUGH) throw error;
  }
  return fields;
}

/** Fills `fields`, and stops (throws ENOUGH) at MAX_VARIABLE_ERRORS: 19,000 bad tags are not 19,000 messages. */
function collectProblems(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[],
  variables: Record<string, unknown>,
  fields: Record<string, string>,
): void {
  let problems = 0;
  const add = (key: string, message: string) => {
    fields[key] ??= message;
    if (++problems >= MAX_VARIABLE_ERRORS) throw ENOUGH;
  };
  for (const definition of definitions) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    // Validation already refused unknown or output types; nothing to say here.
    if (!type || !isInputType(type)) continue;
    if (!Object.hasOwn(variables, name)) {
      if (!definition.defaultValue && isNonNullType(type)) add(name, `A value of type ${print(definition.type)} is required.`);
      continue;
    }
    const value = variables[name];
    if (value === null && isNonNullType(type)) {
      add(name, `Must not be null (type ${print(definition.type)}).`);
      continue;
    }
    coerceInputValue(value, type, (path, _invalid, error) => add(fieldKey(name, path), error.message));
  }
}

/**
 * When graphql-js refused the variables (no data, only errors), one error naming every bad field
 * in `extensions.fields`. Worded like graphql-js's own variable errors and located at the first
 * bad variable, so Apollo answers it as 400 BAD_USER_INPUT exactly as before. Null when the
 * errors were something else.
 */
export function combinedVariableError(
  schema: GraphQLSchema,
  definitions: readonly VariableDefinitionNode[] | undefined,
  variables: Record<string, unknown>,
): GraphQLError | null {
  if (!definitions?.length) return null;
  const fields = variableProblems(schema, definitions, variables);
  const keys = Object.keys(fields);
  if (keys.length === 0) return null;
  const first = keys[0];
  const variable = first.split(/[.[]/, 1)[0];
  const node = definitions.find((d) => d.variable.name.value === variable) ?? definitions[0];
  const more =
    keys.length >= MAX_VARIABLE_ERRORS
      ? ` (the first ${MAX_VARIABLE_ERRORS} problems are in extensions.fields; there may be more)`
      : keys.length > 1
        ? ` (${keys.length - 1} more in extensions.fields)`
        : '';
  return new GraphQLError(`Variable "$${node.variable.name.value}" got invalid value at "${first}"; ${fields[first]}${more}`, {
    nodes: node,
    extensions: { fields },
  });
}
