import {
  getNamedType,
  isCompositeType,
  isUnionType,
  Kind,
  OperationTypeNode,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { PermissionMask } from '../../kernel/permissions';
import type { FieldRequirements } from './schema-requirements';

/** What an operation needs, found from its document alone, before anything runs. */
export interface OperationAnalysis {
  operationType: OperationTypeNode;
  /** Every scope any field the operation can reach needs: through aliases, fragments and inline fragments. */
  required: PermissionMask;
  /** A query selecting nothing but `__schema` and `__type` at its root. */
  introspectionOnly: boolean;
}

interface DocumentFacts {
  fragments: Map<string, FragmentDefinitionNode>;
  /** Variables that decide an @include/@skip; the analysis depends on their values. */
  conditionVariables: string[];
}

/** Beyond this many condition variables, analyses are not cached (3ⁿ possible keys). */
const MAX_CACHED_CONDITIONS = 6;

/**
 * The up-front permission analysis. Linear in the document's size: each fragment is walked once
 * per analysis, however many times it is spread. Results are cached per parsed document (Apollo
 * reuses the DocumentNode of a query it has seen), so a repeated operation costs one lookup, and
 * the per-principal decision is then one AND.
 */
export class OperationRequirements {
  private readonly documents = new WeakMap<DocumentNode, DocumentFacts>();
  private readonly analyses = new WeakMap<OperationDefinitionNode, Map<string, OperationAnalysis>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly requirements: FieldRequirements,
  ) {}

  analyze(document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): OperationAnalysis {
    let facts = this.documents.get(document);
    if (!facts) {
      facts = factsOf(document);
      this.documents.set(document, facts);
    }
    const conditions = facts.conditionVariables.map((name) => conditionValue(variables?.[name]));
    const cacheable = conditions.length <= MAX_CACHED_CONDITIONS;
    const key = conditions.join('');
    let byConditions = this.analyses.get(operation);
    const cached = cacheable ? byConditions?.get(key) : undefined;
    if (cached) return cached;

    const analysis = this.walk(facts, operation, variables);
    if (cacheable) {
      if (!byConditions) this.analyses.set(operation, (byConditions = new Map()));
      byConditions.set(key, analysis);
    }
    return analysis;
  }

  private walk(
    facts: DocumentFacts,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | undefined,
  ): OperationAnalysis {
    const schema = this.schema;
    const requirements = this.requirements;
    const fragmentMasks = new Map<string, PermissionMask>();
    const inProgress = new Set<string>();

    const included = (directives: readonly DirectiveNode[] | undefined): boolean => {
      if (!directives?.length) return true;
      for (const d of directives) {
        if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
        const arg = d.arguments?.find((a) => a.name.value === 'if');
        if (!arg) continue;
        // Only a definite value excludes: anything else counts as included (never less than the truth).
        const value =
          arg.value.kind === Kind.BOOLEAN
            ? arg.value.value
            : arg.value.kind === Kind.VARIABLE
              ? variables?.[arg.value.name.value]
              : undefined;
        if (d.name.value === 'skip' && value === true) return false;
        if (d.name.value === 'include' && value === false) return false;
      }
      return true;
    };

    const selectionMask = (set: SelectionSetNode, parent: GraphQLCompositeType): PermissionMask => {
      let mask = 0n;
      for (const selection of set.selections) {
        if (!included(selection.directives)) continue;
        switch (selection.kind) {
          case Kind.FIELD: {
            const name = selection.name.value;
            // Introspection fields need nothing, and neither does anything below them.
            if (name.startsWith('__')) break;
            mask |= requirements.of(parent.name, name);
            if (selection.selectionSet && !isUnionType(parent)) {
              const child = getNamedType(parent.getFields()[name]?.type);
              if (child && isCompositeType(child)) mask |= selectionMask(selection.selectionSet, child);
            }
            break;
          }
          case Kind.INLINE_FRAGMENT: {
            const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
            if (type && isCompositeType(type)) mask |= selectionMask(selection.selectionSet, type);
            break;
          }
          case Kind.FRAGMENT_SPREAD:
            mask |= fragmentMask(selection.name.value);
            break;
        }
      }
      return mask;
    };

    const fragmentMask = (name: string): PermissionMask => {
      const known = fragmentMasks.get(name);
      if (known !== undefined) return known;
      const fragment = facts.fragments.get(name);
      // Validation has already refused unknown fragments and cycles; this only keeps a walk finite.
      if (!fragment || inProgress.has(name)) return 0n;
      inProgress.add(name);
      const type = schema.getType(fragment.typeCondition.name.value);
      const mask = type && isCompositeType(type) ? selectionMask(fragment.selectionSet, type) : 0n;
      inProgress.delete(name);
      fragmentMasks.set(name, mask);
      return mask;
    };

    const root = schema.getRootType(operation.operation);
    const required = root ? selectionMask(operation.selectionSet, root) : 0n;
    return {
      operationType: operation.operation,
      required,
      introspectionOnly:
        operation.operation === OperationTypeNode.QUERY && rootFieldsAreIntrospection(operation.selectionSet, facts, included),
    };
  }
}

function rootFieldsAreIntrospection(
  set: SelectionSetNode,
  facts: DocumentFacts,
  included: (d: readonly DirectiveNode[] | undefined) => boolean,
  seen = new Set<string>(),
): boolean {
  return set.selections.every((s) => {
    if (!included(s.directives)) return true;
    // __typename alone is not schema exploration: like any field of ours, it needs a principal.
    if (s.kind === Kind.FIELD) return s.name.value === '__schema' || s.name.value === '__type';
    if (s.kind === Kind.INLINE_FRAGMENT) return rootFieldsAreIntrospection(s.selectionSet, facts, included, seen);
    const fragment = facts.fragments.get(s.name.value);
    if (!fragment) return false;
    if (seen.has(s.name.value)) return true;
    seen.add(s.name.value);
    return rootFieldsAreIntrospection(fragment.selectionSet, facts, included, seen);
  });
}

function factsOf(document: DocumentNode): DocumentFacts {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const conditionVariables = new Set<string>();
  const scan = (set: SelectionSetNode | undefined) => {
    if (!set) return;
    for (const s of set.selections) {
      for (const d of s.directives ?? []) {
        if (d.name.value !== 'skip' && d.name.value !== 'include') continue;
        for (const a of d.arguments ?? []) if (a.value.kind === Kind.VARIABLE) conditionVariables.add(a.value.name.value);
      }
      if (s.kind !== Kind.FRAGMENT_SPREAD) scan(s.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.FRAGMENT_DEFINITION || definition.kind === Kind.OPERATION_DEFINITION) scan(definition.selectionSet);
  }
  return { fragments, conditionVariables: [...conditionVariables].sort() };
}

/** t, f, or ? (not a boolean: execution will refuse the variable; count the field as included). */
function conditionValue(value: unknown): string {
  return value === true ? 't' : value === false ? 'f' : '?';
}
