import {
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { foldSelections, fragmentsOf, type Fold, type WalkContext } from './selection-walk';

/** Depth (introspection not counted) and field selections once fragments are expanded (a double: it saturates, never wraps). */
export interface OperationShape {
  depth: number;
  selections: number;
}

/**
 * Everything the request pipeline needs to know of a document that does not depend on who sends
 * it or with which variables, found once per parsed document (Apollo hands every request with the
 * same text the same DocumentNode) and kept with it: the fragments, what `@skip`/`@include`
 * read, text in literals PostgreSQL cannot store, and each operation's shape. What does depend
 * on variables (the scopes under conditions, the cost) is folded by the same walker
 * (selection-walk.ts), from this analysis, by the stage that needs it; `memo` keeps such results
 * per operation where they can be reused.
 */
export interface DocumentAnalysis {
  readonly walk: WalkContext;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Whether any `@skip`/`@include` is used, and the variables they read. */
  readonly conditions: { present: boolean; variables: ReadonlySet<string> };
  /** Every name the document uses (fields, aliases, arguments, variables, fragments, types). */
  readonly names: ReadonlySet<string>;
  /** Argument paths (`input.name`) whose literal text PostgreSQL cannot store, with the problem. */
  readonly literalProblems: ReadonlyMap<string, string>;
  readonly operations: ReadonlyMap<OperationDefinitionNode, OperationShape>;
  /** Per-operation results the stages keep (`required|tf?`, `cost`, `compile`…), by stage-chosen key. */
  memo(operation: OperationDefinitionNode): Map<string, unknown>;
}

const analyses = new WeakMap<DocumentNode, DocumentAnalysis>();

export function analyzeDocument(schema: GraphQLSchema, document: DocumentNode): DocumentAnalysis {
  let analysis = analyses.get(document);
  if (!analysis) analyses.set(document, (analysis = analyze(schema, document)));
  return analysis;
}

/** The shape fold: depth and expanded selections. */
const SHAPE: Fold<OperationShape> = {
  empty: { depth: 0, selections: 0 },
  merge: (a, b) => ({ depth: Math.max(a.depth, b.depth), selections: a.selections + b.selections }),
  field: ({ node }, _context, below) => {
    const inner = below(undefined);
    // Introspection (`__schema`, `__type`, `__typename`) adds no depth: GraphiQL's own query is deep.
    return { depth: node.name.value.startsWith('__') ? 0 : 1 + inner.depth, selections: 1 + inner.selections };
  },
};

function analyze(schema: GraphQLSchema, document: DocumentNode): DocumentAnalysis {
  const fragments = fragmentsOf(document.definitions);
  const walk: WalkContext = { schema, fragments };
  const conditionVariables = new Set<string>();
  let conditionsPresent = false;
  const literalProblems = new Map<string, string>();
  const names = new Set<string>();
  visit(document, {
    Name(node) {
      names.add(node.value);
    },
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      conditionsPresent = true;
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) conditionVariables.add(arg.value.name.value);
    },
    Argument(node) {
      literalTextProblems(node.value, node.name.value, literalProblems);
    },
  });
  const operations = new Map<OperationDefinitionNode, OperationShape>();
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    operations.set(
      d,
      foldSelections(walk, d.selectionSet, schema.getRootType(d.operation ?? OperationTypeNode.QUERY) ?? undefined, SHAPE, undefined),
    );
  }
  const memos = new WeakMap<OperationDefinitionNode, Map<string, unknown>>();
  return {
    walk,
    fragments,
    conditions: { present: conditionsPresent, variables: conditionVariables },
    names,
    literalProblems,
    operations,
    memo(operation) {
      let memo = memos.get(operation);
      if (!memo) memos.set(operation, (memo = new Map()));
      return memo;
    },
  };
}

/** Each operation's shape, folded by the walker (with or without a schema: types do not change a shape). */
export function shapesOf(walk: WalkContext, document: DocumentNode): Map<OperationDefinitionNode, OperationShape> {
  const operations = new Map<OperationDefinitionNode, OperationShape>();
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = walk.schema?.getRootType(d.operation ?? OperationTypeNode.QUERY) ?? undefined;
    operations.set(d, foldSelections(walk, d.selectionSet, root, SHAPE, undefined));
  }
  return operations;
}

const NUL = 'must not contain NUL (\\u0000) characters.';
const LONE_SURROGATE = 'must be valid Unicode: it contains an unpaired UTF-16 surrogate (such as \\ud800).';
/** In `u` mode a well-formed pair is one astral code point, so only unpaired halves match. */
const LONE_SURROGATE_PATTERN = /\p{Cs}/u;

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return NUL;
  // A lone surrogate has no UTF-8 form: PostgreSQL's jsonb refuses its \ud800 escape, and text
  // columns would silently store U+FFFD instead of what was sent.
  if (LONE_SURROGATE_PATTERN.test(text)) return LONE_SURROGATE;
  return null;
}

function literalTextProblems(node: ValueNode, path: string, found: Map<string, string>): void {
  if (node.kind === Kind.STRING) {
    const problem = textProblem(node.value);
    if (problem && !found.has(path)) found.set(path, problem);
  } else if (node.kind === Kind.LIST) node.values.forEach((v) => literalTextProblems(v, path, found));
  else if (node.kind === Kind.OBJECT) node.fields.forEach((f) => literalTextProblems(f.value, `${path}.${f.name.value}`, found));
}
