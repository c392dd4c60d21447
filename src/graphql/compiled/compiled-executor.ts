import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { MAX_VARIABLE_ERRORS } from '../pipeline/variable-errors';
import type { GraphQLContext } from '../context';
import { analyzeDocument } from '../analysis/document-analysis';
import { LRUCache } from 'lru-cache';
import { compileBudget } from './compile-budget';
import { compileNamesOnly, isCompiledQuery, type CompiledQuery } from './compile-seam';
import { hoistLiterals, type HoistedOperation } from './literal-hoisting';

/** One operation to run: the one Apollo resolved from the document (and `operationName`). */
export interface Run {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | undefined;
  context: GraphQLContext;
  variables: Record<string, unknown>;
}
export type Execute = (run: Run) => Promise<ExecutionResult>;

export function interpreted(schema: GraphQLSchema): Execute {
  return async ({ document, operationName, context, variables }) =>
    execute({ schema, document, contextValue: context, variableValues: variables, operationName });
}

/** Larger documents run on graphql-js: compiling costs about 0.1 ms per selection here. */
export const MAX_COMPILED_SELECTIONS = 250;

/**
 * The compiled queries kept at once, by weight (compile-budget.ts; about 10 bytes of heap a unit,
 * so some 30 MB): the least recently used go first, and one that goes must be run
 * `compileAfter` times again before it is compiled again.
 */
export const MAX_COMPILED_WEIGHT = 3_000_000;

interface CompiledOperation {
  compiled: CompiledQuery;
  hoisted: HoistedOperation;
  weight: number;
}

/** Where an operation stands: runs counted towards compiling, never compiled, or compiled (in the cache). */
interface Tracked {
  runs: number;
  state: 'counting' | 'never' | 'compiled';
}

/**
 * graphql-jit for the queries clients repeat: an operation is compiled into plain JavaScript on
 * its `compileAfter`-th run (Apollo keeps one parsed document per query text, so the same
 * operation node comes back) and runs compiled from then on. Compiling costs far more than one
 * run, so operations seen fewer times, large ones and heavy ones (compile-budget.ts) stay on
 * graphql-js: a stream of unique or huge documents never makes the server compile, and what is
 * compiled is kept within MAX_COMPILED_WEIGHT.
 *
 * What is compiled is never the client's document but its hoisted form (literal-hoisting.ts):
 * every literal a variable, checked at the compile seam to hold names only, because graphql-jit
 * writes literals into the code it generates (issue 17: a string literal ran as JavaScript).
 * What stays on graphql-js, and why:
 * - Mutations: graphql-jit goes on to the next mutation field after one fails, and a change must
 *   never run after the one before it was refused.
 * - Documents with any directive (@skip, @include): graphql-jit merges the selections of a skipped
 *   field into a kept one with the same response key, and keeps a fragment's fields under a
 *   skipped field. The permission decision rightly ignores what is skipped, so compiled, a skipped
 *   branch would be read without its scopes.
 * - Introspection, response keys holding `_` or named `__proto__`, and heavy operations
 *   (compile-budget.ts says why each).
 * - Operations whose literals cannot be hoisted with the same meaning (a literal holding a
 *   variable, a value the variable coercion reads differently).
 * Variables are coerced by graphql-js first, so its errors are the ones Apollo recognises as
 * BAD_USER_INPUT and a compiled query never sees a value graphql-js would refuse.
 * test/graphql/compiled-execution.test.ts and the fuzzer (test/fuzz) hold the two executors to
 * the same answers.
 */
export function compiledExecutor(
  schema: GraphQLSchema,
  { compileAfter, maxWeight = MAX_COMPILED_WEIGHT, warn = () => undefined }: { compileAfter: number; maxWeight?: number; warn?: Warn },
): Execute {
  const interpret = interpreted(schema);
  const tracked = new WeakMap<OperationDefinitionNode, Tracked>();
  const cache = new LRUCache<OperationDefinitionNode, CompiledOperation>({
    maxSize: maxWeight,
    sizeCalculation: (entry) => Math.max(1, entry.weight),
    dispose: (_entry, operation) => {
      const state = tracked.get(operation);
      if (state) Object.assign(state, { runs: 0, state: 'counting' });
    },
  });
  return async (run) => {
    const { document, operation, context, variables } = run;
    if (operation.operation !== 'query') return interpret(run);
    let state = tracked.get(operation);
    if (!state) {
      const shape = analyzeDocument(schema, document).operations.get(operation);
      state = { runs: 0, state: shape && shape.selections <= MAX_COMPILED_SELECTIONS ? 'counting' : 'never' };
      tracked.set(operation, state);
    }
    if (state.state === 'never') return interpret(run);
    let entry = state.state === 'compiled' ? cache.get(operation) : undefined;
    if (!entry) {
      if (++state.runs < compileAfter) return interpret(run);
      entry = compile(schema, document, operation, warn) ?? undefined;
      if (!entry) {
        state.state = 'never';
        return interpret(run);
      }
      state.state = 'compiled';
      cache.set(operation, entry);
    }
    const { compiled, hoisted } = entry;
    if (operation.variableDefinitions?.length) {
      const coerced = getVariableValues(schema, operation.variableDefinitions, variables, { maxErrors: MAX_VARIABLE_ERRORS });
      if (coerced.errors) return { errors: coerced.errors };
    }
    return compiled.query(undefined, context, variablesFor(hoisted, variables));
  };
}

/** Where the compiled path says why it let an operation run on graphql-js instead (the server's log). */
export type Warn = (details: Record<string, unknown>, message: string) => void;

/**
 * The operation compiled from its hoisted form, or null (graphql-js runs it) when it is outside
 * the budget, cannot be hoisted, when the seam refuses it, or when graphql-jit refuses or throws.
 * graphql-js's answer is the reference either way. The first two are expected and silent; the
 * others should not happen, and the log says why.
 */
function compile(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, warn: Warn): CompiledOperation | null {
  const budget = compileBudget(analyzeDocument(schema, document), operation);
  if ('refused' in budget) return null;
  const hoisted = hoistLiterals(schema, document, operation);
  if ('refused' in hoisted) return null;
  const notCompiled = (reason: string) => {
    warn({ operation: operation.name?.value ?? null, reason: reason.slice(0, 200) }, 'query not compiled');
    return null;
  };
  try {
    const compiled = compileNamesOnly(schema, hoisted.document, operation.name?.value);
    if (isCompiledQuery(compiled)) return { compiled, hoisted, weight: budget.weight };
    return notCompiled(String(compiled.errors?.map((e) => e.message)));
  } catch (error) {
    return notCompiled(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The client's variables, then the defaults it left out, then the hoisted literals (last, so a
 * client cannot set one). No prototype: graphql-jit reads a variable left out (`$constructor`,
 * `$toString`) as a property, and must find nothing, as graphql-js does.
 */
function variablesFor(hoisted: HoistedOperation, variables: Record<string, unknown>): Record<string, unknown> {
  const all = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  for (const [name, value] of hoisted.defaults) if (!Object.hasOwn(variables, name)) all[name] = value;
  return Object.assign(all, hoisted.constants);
}
