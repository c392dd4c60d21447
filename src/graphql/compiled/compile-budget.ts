import type { OperationDefinitionNode } from 'graphql';
import type { DocumentAnalysis } from '../analysis/document-analysis';
import { foldSelections, type Fold } from '../analysis/selection-walk';

/**
 * What graphql-jit would generate for an operation, measured before it is compiled. graphql-jit
 * writes every field's whole response path into its code several times over, so the code grows
 * with the sum of those paths' lengths, not with the document's size: a 91 KB document of 30
 * nested 3,000-character aliases generated 33 MB and kept 50–60 MB per document, and a few dozen
 * such documents ran the process out of heap (the attacker's review of issue 17). This weight (the
 * sum of the joined response paths' lengths, about 10 bytes of heap each once compiled) is what the
 * compiled-query cache budgets, and an operation over MAX_OPERATION_WEIGHT is never compiled.
 */
export const MAX_OPERATION_WEIGHT = 30_000;

/** Either the operation's weight, or why it is not compiled at all. */
export type Budget = { weight: number } | { refused: string };

/**
 * The operation's weight, or a refusal: introspection (never hot, and graphql-js's depth rule does
 * not bound `ofType` chains), a response key holding `_` (graphql-jit names each field's resolve
 * info by joining its response path with `_`, so `a_b` and `b { a }` would share one), the
 * name `__proto__`, or too much weight. Folded by the document walker (fragments once per path
 * length); the operation has passed validation and the selection limits, so the walk is bounded.
 */
export function compileBudget(analysis: DocumentAnalysis, operation: OperationDefinitionNode): Budget {
  // The seam refuses the name anywhere; refusing it here first keeps that refusal out of the log.
  if (analysis.names.has('__proto__')) return { refused: 'the name __proto__' };
  const weigh: Fold<Budget, { root: boolean; pathLength: number }> = {
    empty: { weight: 0 },
    merge: (a, b) => ('refused' in a ? a : 'refused' in b ? b : { weight: a.weight + b.weight }),
    contextKey: ({ root, pathLength }) => `${root}|${pathLength}`,
    field: ({ node }, { root, pathLength }, below) => {
      const key = node.alias?.value ?? node.name.value;
      if (root && (node.name.value === '__schema' || node.name.value === '__type')) return { refused: 'introspection is not compiled' };
      if (key !== '__typename' && key.includes('_')) return { refused: `the response key ${key} holds "_"` };
      const joined = pathLength ? pathLength + 1 + key.length : key.length;
      const inner = below({ root: false, pathLength: joined });
      return 'refused' in inner ? inner : { weight: joined + inner.weight };
    },
  };
  const budget = foldSelections(analysis.walk, operation.selectionSet, undefined, weigh, { root: true, pathLength: 0 });
  return 'weight' in budget && budget.weight > MAX_OPERATION_WEIGHT ? { refused: `weighs over ${MAX_OPERATION_WEIGHT}` } : budget;
}
