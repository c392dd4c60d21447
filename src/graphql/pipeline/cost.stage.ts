import { getVariableValues, GraphQLError } from 'graphql';
import { ErrorCode } from '../../kernel/errors';
import { MAX_COMPLEXITY, operationCostCached } from '../cost';
import type { Stage } from './stage';

/**
 * What the operation costs (cost.ts), with its variables, against `max`: over it, or not
 * measurable, is 400 BAD_USER_INPUT naming the limit, before anything runs. Invalid variables
 * pass on: execution reports them as BAD_USER_INPUT before anything runs.
 */
export function costStage(max = MAX_COMPLEXITY): Stage {
  return ({ request, document, operation, schema }) => {
    if (!operation) return;
    let variables: Record<string, unknown> = {};
    if (operation.variableDefinitions?.length) {
      // maxErrors: 1 — this stage only needs to know they are invalid. Without a bound graphql-js
      // makes an error per bad field, each printing the whole value: quadratic in the input.
      const coerced = getVariableValues(schema, operation.variableDefinitions, request.variables ?? {}, { maxErrors: 1 });
      if (coerced.errors) return;
      variables = coerced.coerced;
    }
    let complexity: number;
    try {
      complexity = operationCostCached(schema, document, operation, variables);
    } catch {
      // Fail closed: an operation whose cost cannot be measured does not run.
      throw new GraphQLError('The query’s complexity could not be measured; it is refused.', {
        extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'complexity', max, http: { status: 400 } },
      });
    }
    if (!(complexity <= max)) {
      const shown = Number.isSafeInteger(complexity) ? complexity : `over ${Number.MAX_SAFE_INTEGER}`;
      throw new GraphQLError(`Query complexity ${shown} exceeds the limit of ${max}; ask for fewer items (first) or fewer fields.`, {
        extensions: {
          code: ErrorCode.BAD_USER_INPUT,
          limit: 'complexity',
          max,
          complexity: Number.isSafeInteger(complexity) ? complexity : null,
          http: { status: 400 },
        },
      });
    }
  };
}
