import { GraphQLError, Kind, type VariableDefinitionNode } from 'graphql';
import type { DocumentAnalysis } from '../analysis/document-analysis';

/**
 * A nullable variable may feed `@skip(if: Boolean!)` when it has a default, so validation lets
 * `$s: Boolean = true` through; graphql-js then throws mid-execution on an explicit null, which
 * reads as a 500. It is the client's input: refuse it up front, worded like graphql-js's own variable errors so Apollo answers 400 BAD_USER_INPUT.
 */
export function conditionVariableErrors(
  analysis: DocumentAnalysis,
  definitions: readonly VariableDefinitionNode[] | undefined,
  variables: Record<string, unknown>,
): GraphQLError[] {
  if (!definitions?.length) return [];
  const used = analysis.conditions.variables;
  if (used.size === 0) return [];
  const errors: GraphQLError[] = [];
  for (const definition of definitions) {
    const name = definition.variable.name.value;
    if (!used.has(name) || definition.type.kind === Kind.NON_NULL_TYPE) continue;
    // Validation already refuses such a variable without a default, so a default always fills a missing one.
    if (variables[name] === null) {
      errors.push(
        new GraphQLError(`Variable "$${name}" got invalid value null; @skip(if:) and @include(if:) take true or false.`, {
          nodes: definition,
        }),
      );
    }
  }
  return errors;
}
