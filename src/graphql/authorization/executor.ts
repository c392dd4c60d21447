import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { execute, type GraphQLSchema } from 'graphql';
import type { GraphQLContext } from '../context';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/**
 * Apollo's gateway hook, used as what it is: a pluggable executor. The permission decision was
 * made before execution (authorization.plugin.ts); a fully allowed operation runs on the plain
 * schema with no per-field checks at all, and only a partly allowed query runs on the guarded
 * schema, whose wrappers null exactly the fields the decision refused. Anything not decided runs
 * guarded: the safe default.
 */
export function decidedExecutor(schemas: { plain: GraphQLSchema; guarded: GraphQLSchema }): GatewayInterface {
  return {
    async load() {
      return {
        executor: async (request) => {
          const context = request.context as GraphQLContext;
          return execute({
            schema: context.authorization === 'ALLOWED' ? schemas.plain : schemas.guarded,
            document: request.document,
            contextValue: context,
            variableValues: request.request.variables,
            operationName: request.operationName,
          });
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
