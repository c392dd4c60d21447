import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import {
  execute,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Config } from '../../kernel/config';
import type { GraphQLContext } from '../context';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
interface Compiled {
  query: CompiledQuery | ExecutionResult | null;
  variables: readonly VariableDefinitionNode[];
}
type Execute = (
  document: DocumentNode,
  operationName: string | undefined,
  context: GraphQLContext,
  variables: Record<string, unknown>,
) => Promise<ExecutionResult>;

/**
 * Apollo's gateway hook, used as what it is: a pluggable executor. The permission decision was
 * made before execution (authorization.plugin.ts); a fully allowed operation runs on the plain
 * schema with no per-field checks at all, and only a partly allowed query runs on the guarded
 * schema, whose wrappers null exactly the fields the decision refused. Anything not decided runs
 * guarded: the safe default.
 */
export function decidedExecutor(
  schemas: { plain: GraphQLSchema; guarded: GraphQLSchema },
  executor: Config['graphqlExecutor'] = 'jit',
): GatewayInterface {
  const runAllowed: Execute = executor === 'jit' ? compiledExecutor(schemas.plain) : interpreted(schemas.plain);
  const runGuarded = interpreted(schemas.guarded);
  return {
    async load() {
      return {
        executor: async (request) => {
          const context = request.context as GraphQLContext;
          const run = context.authorization === 'ALLOWED' ? runAllowed : runGuarded;
          return run(request.document, request.operationName ?? undefined, context, request.request.variables ?? {});
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

function interpreted(schema: GraphQLSchema): Execute {
  return async (document, operationName, contextValue, variableValues) =>
    execute({ schema, document, contextValue, variableValues, operationName });
}

/**
 * graphql-jit for queries: each document is compiled once into plain JavaScript (Apollo keeps one
 * parsed document per query text, so the WeakMap finds it again), about 1.2–1.5× the list
 * throughput of graphql-js in bench/. Variables are coerced by graphql-js first: its errors are
 * the ones Apollo recognises as BAD_USER_INPUT, and a compiled query never sees a value graphql-js
 * would refuse. Mutations stay on graphql-js: graphql-jit goes on to the next mutation field after
 * one fails, and a change must never run after the one before it was refused.
 * test/graphql/compiled-execution.test.ts holds the two executors to the same answers.
 */
function compiledExecutor(schema: GraphQLSchema): Execute {
  const interpret = interpreted(schema);
  // Per document and operation name: the compiled query (null: not a query), and its variables.
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled>>();
  return async (document, operationName, context, variables) => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    let entry = byName.get(operationName ?? '');
    if (entry === undefined) {
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === 'OperationDefinition' && (operationName === undefined || d.name?.value === operationName),
      );
      entry = {
        query: operation?.operation === 'query' ? compileQuery(schema, document, operationName) : null,
        variables: operation?.variableDefinitions ?? [],
      };
      byName.set(operationName ?? '', entry);
    }
    const { query } = entry;
    if (query === null) return interpret(document, operationName, context, variables);
    if (!isCompiledQuery(query)) return query;
    if (entry.variables.length) {
      const coerced = getVariableValues(schema, entry.variables, variables);
      if (coerced.errors) return { errors: coerced.errors };
    }
    return query.query(undefined, context, variables);
  };
}
