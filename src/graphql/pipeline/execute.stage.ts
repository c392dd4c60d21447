import {
  HeaderMap,
  type ApolloServerOptionsWithGateway,
  type BaseContext,
  type GraphQLRequestContextResponseForOperation,
  type GraphQLResponse,
} from '@apollo/server';
import type { DocumentNode, ExecutionResult, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { Config } from '../../kernel/config';
import type { GraphQLContext } from '../context';
import { analyzeDocument } from '../analysis/document-analysis';
import { conditionVariableErrors } from './condition-variables';
import { combinedVariableError } from './variable-errors';
import { compiledExecutor, interpreted, type Warn } from '../compiled/compiled-executor';

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/** What an operation's execution needs, as both of Apollo's request contexts have it. */
interface Operation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string | null;
  request: { variables?: Record<string, unknown> };
}

export interface DecidedExecution {
  /**
   * For the pipeline plugin's `responseForOperation`: runs the operation and answers it itself
   * when the result has no errors. Apollo's own way to a custom executor (its `gateway` option)
   * builds a second request context per request, and in bench:profile that path made requests'
   * objects outlive two scavenges (2.7 KB promoted per `viewer` request against 0.8 without it):
   * a garbage collector that runs on promotion is most of keygate's GC on lists. A result with
   * errors is kept for the gateway instead, so Apollo formats and reports them as it always has,
   * without running the operation twice.
   */
  respond(request: GraphQLRequestContextResponseForOperation<GraphQLContext>): Promise<GraphQLResponse | null>;
  /** Apollo's gateway: returns a result `respond` kept, or runs what reached it another way. */
  gateway: GatewayInterface;
}

/**
 * The executor keygate plugs into Apollo. The permission decision was made before execution
 * (decision.stage.ts); a fully allowed operation runs on the plain schema with no per-field checks
 * at all, and only a partly allowed query runs on the guarded schema, whose wrappers null exactly
 * the fields the decision refused. Anything not decided runs guarded: the safe default.
 */
export function decidedExecutor(
  schemas: { plain: GraphQLSchema; guarded: GraphQLSchema },
  options: Config['graphql'],
  warn?: Warn,
): DecidedExecution {
  const runAllowed =
    options.executor === 'jit' ? compiledExecutor(schemas.plain, { compileAfter: options.compileAfter, warn }) : interpreted(schemas.plain);
  const runGuarded = interpreted(schemas.guarded);
  const execute = async ({ document, operation, operationName, request }: Operation, context: GraphQLContext): Promise<ExecutionResult> => {
    const variables = request.variables ?? {};
    const refused = conditionVariableErrors(analyzeDocument(schemas.guarded, document), operation.variableDefinitions, variables);
    if (refused.length) return { errors: refused };
    const run = context.authorization === 'ALLOWED' ? runAllowed : runGuarded;
    const result = await run({ document, operation, operationName: operationName ?? undefined, context, variables });
    if (result.data !== undefined || !result.errors?.length) return result;
    // Refused before it ran: when it was the variables, one error naming every bad field.
    const combined = combinedVariableError(schemas.guarded, operation.variableDefinitions, variables);
    return combined ? { errors: [combined] } : result;
  };
  // Results with errors, for the gateway call Apollo makes next for the same request (keyed by
  // its metrics object, which Apollo hands the gateway as it is).
  const kept = new WeakMap<object, ExecutionResult>();
  return {
    async respond(request) {
      const result = await execute(request, request.contextValue);
      if (!result.errors?.length)
        return { http: { headers: new HeaderMap(), status: undefined }, body: { kind: 'single', singleResult: result } };
      kept.set(request.metrics, result);
      return null;
    },
    gateway: {
      async load() {
        return {
          executor: async (request) => {
            const result = kept.get(request.metrics);
            if (result) {
              kept.delete(request.metrics);
              return result;
            }
            return execute(request, request.context as GraphQLContext);
          },
        };
      },
      onSchemaLoadOrUpdate(callback) {
        // Validation and introspection use the guarded schema: identical types, same SDL.
        callback({ apiSchema: schemas.guarded, coreSupergraphSdl: '' });
        return () => undefined;
      },
      async stop() {},
    },
  };
}
