import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../../kernel/config';
import type { GraphQLContext } from '../context';
import { analyzeDocument } from '../analysis/document-analysis';
import { conditionVariableErrors } from './condition-variables';
import { combinedVariableError } from './variable-errors';
import { compiledExecutor, interpreted, type Warn } from '../compiled/compiled-executor';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/**
 * Apollo's gateway hook, used as what it is: a pluggable executor. The permission decision was
 * made before execution (authorization.plugin.ts); a fully allowed operation runs on the plain
 * schema with no per-field checks at all, and only a partly allowed query runs on the guarded
 * schema, whose wrappers null exactly the fields the decision refused. Anything not decided runs
 * guarded: the safe default.
 */
export function decidedExecutor(
  schemas: { plain: GraphQLSchema; guarded: GraphQLSchema },
  options: Config['graphql'],
  warn?: Warn,
): GatewayInterface {
  const runAllowed =
    options.executor === 'jit' ? compiledExecutor(schemas.plain, { compileAfter: options.compileAfter, warn }) : interpreted(schemas.plain);
  const runGuarded = interpreted(schemas.guarded);
  return {
    async load() {
      return {
        executor: async (request) => {
          const context = request.context as GraphQLContext;
          const { document, operation } = request;
          const variables = request.request.variables ?? {};
          const refused = conditionVariableErrors(analyzeDocument(schemas.guarded, document), operation.variableDefinitions, variables);
          if (refused.length) return { errors: refused };
          const run = context.authorization === 'ALLOWED' ? runAllowed : runGuarded;
          const result = await run({ document, operation, operationName: request.operationName ?? undefined, context, variables });
          if (result.data !== undefined || !result.errors?.length) return result;
          // Refused before it ran: when it was the variables, one error naming every bad field.
          const combined = combinedVariableError(schemas.guarded, operation.variableDefinitions, variables);
          return combined ? { errors: [combined] } : result;
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      // Validation and introspection use the guarded schema: identical types, same SDL.
      callback({ apiSchema: schemas.guarded, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async stop() {},
  };
}
