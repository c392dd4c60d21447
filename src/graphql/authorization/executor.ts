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
import { measureDocument } from '../document-limits';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
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
  options: Config['graphql'] = { executor: 'jit', compileAfter: 10 },
): GatewayInterface {
  const runAllowed = options.executor === 'jit' ? compiledExecutor(schemas.plain, options.compileAfter) : interpreted(schemas.plain);
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

/** Larger documents run on graphql-js: compiling costs about 0.1 ms per selection here. */
export const MAX_COMPILED_SELECTIONS = 250;

interface Compiled {
  runs: number;
  /** undefined: not compiled yet; null: never compiled (not a query, or too large). */
  query: CompiledQuery | ExecutionResult | null | undefined;
  variables: readonly VariableDefinitionNode[];
}

/**
 * graphql-jit for the queries clients repeat: a document is compiled into plain JavaScript on its
 * `compileAfter`-th run (Apollo keeps one parsed document per query text, so the WeakMap finds it
 * again) and runs compiled from then on, about 1.2–1.5× the list throughput of graphql-js in
 * bench/. Compiling a document costs far more than running it once, so documents seen fewer
 * times, and large ones, stay on graphql-js: a stream of unique documents never makes the server
 * compile. Variables are coerced by graphql-js first, so its errors are the ones Apollo
 * recognises as BAD_USER_INPUT and a compiled query never sees a value graphql-js would refuse.
 * Mutations stay on graphql-js: graphql-jit goes on to the next mutation field after one fails,
 * and a change must never run after the one before it was refused.
 * test/graphql/compiled-execution.test.ts holds the two executors to the same answers.
 */
function compiledExecutor(schema: GraphQLSchema, compileAfter: number): Execute {
  const interpret = interpreted(schema);
  const entries = new WeakMap<DocumentNode, Map<string, Compiled>>();
  return async (document, operationName, context, variables) => {
    let byName = entries.get(document);
    if (!byName) entries.set(document, (byName = new Map()));
    let entry = byName.get(operationName ?? '');
    if (!entry) {
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === 'OperationDefinition' && (operationName === undefined || d.name?.value === operationName),
      );
      const shape = operation && measureDocument(document).operations.get(operation);
      const compilable = operation?.operation === 'query' && shape !== undefined && shape.selections <= MAX_COMPILED_SELECTIONS;
      entry = { runs: 0, query: compilable ? undefined : null, variables: operation?.variableDefinitions ?? [] };
      byName.set(operationName ?? '', entry);
    }
    if (entry.query === undefined && ++entry.runs >= compileAfter) entry.query = compileQuery(schema, document, operationName);
    const { query } = entry;
    if (!query) return interpret(document, operationName, context, variables);
    if (!isCompiledQuery(query)) return query;
    if (entry.variables.length) {
      const coerced = getVariableValues(schema, entry.variables, variables);
      if (coerced.errors) return { errors: coerced.errors };
    }
    return query.query(undefined, context, variables);
  };
}
