import { Kind, OperationTypeNode, type DirectiveNode, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { PermissionMask } from '../../kernel/permissions';
import { analyzeDocument, type DocumentAnalysis } from '../analysis/document-analysis';
import { foldSelections, type Fold } from '../analysis/selection-walk';
import type { FieldRequirements } from './schema-requirements';

/** What an operation needs, found from its document alone, before anything runs. */
export interface OperationAnalysis {
  operationType: OperationTypeNode;
  /** Every scope any field the operation can reach needs: through aliases, fragments and inline fragments. */
  required: PermissionMask;
  /** A query selecting nothing but `__schema` and `__type` at its root. */
  introspectionOnly: boolean;
}

/** Beyond this many condition variables, analyses are not kept (3ⁿ possible keys). */
const MAX_CACHED_CONDITIONS = 6;

/**
 * The up-front permission analysis: the scopes every field the operation reaches needs, folded by
 * the document walker (fragments once each, so linear), evaluating `@skip`/`@include` with the
 * request's variables. Kept with the document's analysis per combination of condition values, so
 * a repeated operation costs one lookup, and the per-principal decision is then one AND.
 */
export class OperationRequirements {
  private readonly needs: Fold<PermissionMask>;

  constructor(
    private readonly schema: GraphQLSchema,
    requirements: FieldRequirements,
  ) {
    this.needs = {
      empty: 0n,
      merge: (a, b) => a | b,
      // Introspection fields need nothing, and neither does anything below them.
      field: ({ node, parent }, _context, below) =>
        node.name.value.startsWith('__') || !parent ? 0n : requirements.of(parent.name, node.name.value) | below(undefined),
    };
  }

  analyze(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): OperationAnalysis {
    const analysis = analyzeDocument(this.schema, document);
    const conditions = [...analysis.conditions.variables].sort().map((name) => conditionValue(variables?.[name]));
    const key = `requirements|${conditions.join('')}`;
    const memo = conditions.length <= MAX_CACHED_CONDITIONS ? analysis.memo(operation) : new Map<string, unknown>();
    let found = memo.get(key) as OperationAnalysis | undefined;
    if (!found) memo.set(key, (found = this.fold(analysis, operation, variables)));
    return found;
  }

  private fold(
    analysis: DocumentAnalysis,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | undefined,
  ): OperationAnalysis {
    const walk = { ...analysis.walk, included: (directives: readonly DirectiveNode[] | undefined) => included(directives, variables) };
    const root = this.schema.getRootType(operation.operation) ?? undefined;
    const introspection: Fold<boolean> = {
      empty: true,
      merge: (a, b) => a && b,
      // __typename alone is not schema exploration: like any field of ours, it needs a principal.
      field: ({ node }) => node.name.value === '__schema' || node.name.value === '__type',
    };
    return {
      operationType: operation.operation,
      required: foldSelections(walk, operation.selectionSet, root, this.needs, undefined),
      introspectionOnly:
        operation.operation === OperationTypeNode.QUERY && foldSelections(walk, operation.selectionSet, root, introspection, undefined),
    };
  }
}

/** Only a definite value excludes: anything else counts as included (never less than the truth). */
function included(directives: readonly DirectiveNode[] | undefined, variables: Record<string, unknown> | undefined): boolean {
  if (!directives?.length) return true;
  for (const d of directives) {
    if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
    const arg = d.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const value =
      arg.value.kind === Kind.BOOLEAN ? arg.value.value : arg.value.kind === Kind.VARIABLE ? variables?.[arg.value.name.value] : undefined;
    if (d.name.value === 'skip' && value === true) return false;
    if (d.name.value === 'include' && value === false) return false;
  }
  return true;
}

/** t, f, or ? (not a boolean: execution will refuse the variable; count the field as included). */
function conditionValue(value: unknown): string {
  return value === true ? 't' : value === false ? 'f' : '?';
}
