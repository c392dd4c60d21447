import { Kind, visit, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

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
 * prototype key `__proto__`, or too much weight. Fragments are expanded; the operation has passed
 * validation and the selection limits, so the walk is bounded.
 */
export function compileBudget(document: DocumentNode, operation: OperationDefinitionNode): Budget {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let weight = 0;
  let refused: string | undefined;

  /** `pathLength`: the length of the parent's joined response path (0 at the root). */
  const walk = (set: SelectionSetNode, pathLength: number, root: boolean): void => {
    for (const selection of set.selections) {
      if (refused) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, pathLength, root);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet, pathLength, root);
      } else {
        const key = selection.alias?.value ?? selection.name.value;
        if (root && (selection.name.value === '__schema' || selection.name.value === '__type')) refused = 'introspection is not compiled';
        else if (key !== '__typename' && key.includes('_')) refused = `the response key ${key} holds "_"`;
        const joined = pathLength ? pathLength + 1 + key.length : key.length;
        weight += joined;
        if (weight > MAX_OPERATION_WEIGHT) refused ??= `weighs over ${MAX_OPERATION_WEIGHT}`;
        if (selection.selectionSet) walk(selection.selectionSet, joined, false);
      }
    }
  };
  walk(operation.selectionSet, 0, true);
  // The seam refuses the name anywhere; refusing it here first keeps that refusal out of the log.
  visit(document, {
    Name(node) {
      if (node.value === '__proto__') refused ??= 'the name __proto__';
    },
  });
  return refused ? { refused } : { weight };
}
