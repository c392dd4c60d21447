import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { execute, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Config } from '../../kernel/config';
import type { GraphQLContext } from '../context';
import { conditionsOf, conditionVariableErrors } from '../condition-variables';
import { measureDocument } from '../document-limits';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
/** One operation to run: the one Apollo resolved from the document (and `operationName`). */
interface Run {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  context: GraphQLContext;
  variables: Record<string, unknown>;
}
type Execute = (run: Run) => Promise<ExecutionResult>;

/**
 * Apollo's gateway hook, used as what it is: a pluggable executor. The permission decision was
 * made before execution (authorization.plugin.ts); a fully allowed operation runs on the plain
 * schema with no per-field checks at all, and only a partly allowed query runs on the guarded
 * schema, whose wrappers null exactly the fields the decision refused. Anything not decided runs
 * guarded: the safe default.
 */
export function decidedExecutor(schemas: { plain: GraphQLSchema; guarded: GraphQLSchema }, options: Config['graphql']): GatewayInterface {
  const runAllowed = options.executor === 'jit' ? compiledExecutor(schemas.plain, options.compileAfter) : interpreted(schemas.plain);
  const runGuarded = interpreted(schemas.guarded);
  return {
    async load() {
      return {
        executor: async (request) => {
          const context = request.context as GraphQLContext;
          const { document, operation } = request;
          const variables = request.request.variables ?? {};
          const refused = conditionVariableErrors(document, operation.variableDefinitions, variables);
          if (refused.length) return { errors: refused };
          const run = context.authorization === 'ALLOWED' ? runAllowed : runGuarded;
          return run({ document, operation, operationName: request.operationName ?? undefined, context, variables });
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
  return async ({ document, operationName, context, variables }) =>
    execute({ schema, document, contextValue: context, variableValues: variables, operationName });
}

/** Larger documents run on graphql-js: compiling costs about 0.1 ms per selection here. */
export const MAX_COMPILED_SELECTIONS = 250;

interface Compiled {
  runs: number;
  /** undefined: not compiled yet; null: never compiled (too large). */
  query: CompiledQuery | ExecutionResult | null | undefined;
}

/**
 * graphql-jit for the queries clients repeat: an operation is compiled into plain JavaScript on
 * its `compileAfter`-th run (Apollo keeps one parsed document per query text, so the WeakMap finds
 * it again) and runs compiled from then on, about 1.2–1.5× the list throughput of graphql-js in
 * bench/. Compiling costs far more than one run, so operations seen fewer times, and large ones,
 * stay on graphql-js: a stream of unique documents never makes the server compile. What else
 * stays on graphql-js, and why:
 * - Mutations: graphql-jit goes on to the next mutation field after one fails, and a change must
 *   never run after the one before it was refused.
 * - Documents with @skip or @include anywhere: graphql-jit merges the selections of a skipped
 *   field into a kept one with the same response key, and keeps a fragment's fields under a
 *   skipped field. The permission decision rightly ignores what is skipped, so compiled, a skipped
 *   branch would be read without its scopes.
 * graphql-jit also writes onto the document it compiles; it compiles a private parse of the same
 * text, so Apollo's shared document (validation, the decision, graphql-js) is never touched.
 * Variables are coerced by graphql-js first, so its errors are the ones Apollo recognises as
 * BAD_USER_INPUT and a compiled query never sees a value graphql-js would refuse.
 * test/graphql/compiled-execution.test.ts holds the two executors to the same answers.
 */
function compiledExecutor(schema: GraphQLSchema, compileAfter: number): Execute {
  const interpret = interpreted(schema);
  const documents = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Compiled>>();
  return async (run) => {
    const { document, operation, context, variables } = run;
    if (operation.operation !== 'query' || conditionsOf(document).present) return interpret(run);
    let operations = documents.get(document);
    if (!operations) documents.set(document, (operations = new Map()));
    let entry = operations.get(operation);
    if (!entry) {
      const shape = measureDocument(document).operations.get(operation);
      entry = { runs: 0, query: shape && shape.selections <= MAX_COMPILED_SELECTIONS ? undefined : null };
      operations.set(operation, entry);
    }
    if (entry.query === undefined && ++entry.runs >= compileAfter) {
      entry.query = compileQuery(schema, privateCopy(document), operation.name?.value);
    }
    const { query } = entry;
    if (!query) return interpret(run);
    if (!isCompiledQuery(query)) return query;
    if (!operation.variableDefinitions?.length) return query.query(undefined, context, variables);
    const coerced = getVariableValues(schema, operation.variableDefinitions, variables);
    if (coerced.errors) return { errors: coerced.errors };
    // No prototype: graphql-jit reads a variable left out (`$constructor`, `$toString`) as a
    // property, and must find nothing, as graphql-js does.
    return query.query(undefined, context, Object.assign(Object.create(null) as Record<string, unknown>, variables));
  };
}

/** The same text parsed again: same nodes and locations (so error locations match), not shared. */
function privateCopy(document: DocumentNode): DocumentNode {
  return document.loc ? parse(document.loc.source) : structuredClone(document);
}
